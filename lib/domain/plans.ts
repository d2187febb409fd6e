/**
 * The plans a user can be on, smallest first. Each plan's limits are rows of user_limits (the
 * operator may change them); the names are fixed here, and the database's foreign key from
 * users.plan keeps to the same rows. Workflow-safe: no imports.
 */
export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** The plan a self-registered account starts on. */
export const SIGNUP_PLAN: Plan = PLANS[0];

/** The largest plan: nothing to move up to; an admin created from the command line gets it. */
export const LARGEST_PLAN: Plan = PLANS[PLANS.length - 1]!;
