/**
 * Request shapes of /api/alerts. A rule's kind and params are validated together (one schema per
 * kind, lib/domain/alertRules.ts); errors name the field, e.g. "body.params.multiple".
 */
import { z } from 'zod';
import { patchBody } from '../patchBody';
import { ALERT_KINDS, alertRuleSpec } from '../../lib/domain/alertRules';
import { rowId } from '../ids';
import { pageQuery } from '../pagination';

/** At most one week between two firings of a rule. */
export const MAX_DEBOUNCE_MINUTES = 7 * 24 * 60;

const webhookId = z.number().int().positive().max(2_147_483_647);

export const channelsBody = z
  .object({
    email: z.boolean().default(false),
    webhookIds: z
      .array(webhookId)
      .max(20)
      .default([])
      .transform((ids) => [...new Set(ids)]),
  })
  .strict();

/** A PATCH of the channels: the fields given replace the rule's, the others stay. */
const channelsPatch = z
  .object({
    email: z.boolean().optional(),
    webhookIds: z
      .array(webhookId)
      .max(20)
      .transform((ids) => [...new Set(ids)])
      .optional(),
  })
  .strict();

const fields = {
  name: z.string().trim().min(1, 'is required').max(200),
  channels: channelsBody,
  debounceMinutes: z.number().int().min(0).max(MAX_DEBOUNCE_MINUTES),
  mutedUntil: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .nullable(),
  enabled: z.boolean(),
};

export const createAlertBody = z
  .object({
    name: fields.name,
    kind: z.enum(ALERT_KINDS),
    params: z.unknown(),
    channels: fields.channels.default({ email: false, webhookIds: [] }),
    debounceMinutes: fields.debounceMinutes.default(60),
    mutedUntil: fields.mutedUntil.default(null),
    enabled: fields.enabled.default(true),
  })
  .strict()
  .transform((body, ctx) => {
    const spec = alertRuleSpec.safeParse({ kind: body.kind, params: body.params ?? {} });
    if (!spec.success) {
      for (const issue of spec.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return { ...body, ...spec.data };
  });
export type CreateAlertBody = z.output<typeof createAlertBody>;

/** The kind cannot change (delete and create instead); params are checked against the rule's kind. */
export const updateAlertBody = patchBody(
  z.object({
    name: fields.name.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    channels: channelsPatch.optional(),
    debounceMinutes: fields.debounceMinutes.optional(),
    mutedUntil: fields.mutedUntil.optional(),
    enabled: fields.enabled.optional(),
  }),
);
export type UpdateAlertBody = z.output<typeof updateAlertBody>;

export const listAlertsQuery = z.object({
  ...pageQuery,
  kind: z.enum(ALERT_KINDS).optional(),
  enabled: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type ListAlertsQuery = z.output<typeof listAlertsQuery>;

export const listFiringsQuery = z.object({
  ...pageQuery,
  muted: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
export type ListFiringsQuery = z.output<typeof listFiringsQuery>;

export const alertIdParam = z.object({ id: rowId });
