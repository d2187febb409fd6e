/** Request shapes of /api/auth. `.strict()` refuses unknown fields (no mass assignment). */
import { z } from 'zod';
import { patchBody } from '../patchBody';

/** bcrypt reads at most 72 bytes: a longer password would be silently truncated, so refuse it. */
export const passwordSchema = z
  .string()
  .refine((p) => Buffer.byteLength(p, 'utf8') >= 8, 'must be at least 8 bytes long')
  .refine(
    (p) => Buffer.byteLength(p, 'utf8') <= 72,
    'must be at most 72 bytes long (bcrypt ignores anything longer; multi-byte characters count as several bytes)',
  );

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('must be a valid email address').max(254));

export const registerBody = z.object({ email: emailSchema, password: passwordSchema }).strict();
export type RegisterBody = z.infer<typeof registerBody>;

export const loginBody = z
  .object({
    email: z.string().trim().toLowerCase().min(1, 'is required').max(254),
    password: z.string().min(1, 'is required').max(1024),
  })
  .strict();
export type LoginBody = z.infer<typeof loginBody>;

export const refreshBody = z.object({ refreshToken: z.string().min(1, 'is required').max(512) }).strict();
export type RefreshBody = z.infer<typeof refreshBody>;

/** A token from an account mail: opaque, prefixed; anything else is refused before any lookup. */
const accountTokenSchema = z.string().trim().min(1, 'is required').max(256);

export const passwordResetRequestBody = z.object({ email: emailSchema }).strict();
export type PasswordResetRequestBody = z.infer<typeof passwordResetRequestBody>;

export const passwordResetConfirmBody = z.object({ token: accountTokenSchema, password: passwordSchema }).strict();
export type PasswordResetConfirmBody = z.infer<typeof passwordResetConfirmBody>;

export const changePasswordBody = z
  .object({ currentPassword: z.string().min(1, 'is required').max(1024), newPassword: passwordSchema })
  .strict();
export type ChangePasswordBody = z.infer<typeof changePasswordBody>;

export const verifyEmailBody = z.object({ token: accountTokenSchema }).strict();
export type VerifyEmailBody = z.infer<typeof verifyEmailBody>;

export const deleteAccountBody = z.object({ password: z.string().min(1, 'is required').max(1024) }).strict();
export type DeleteAccountBody = z.infer<typeof deleteAccountBody>;

/** The account's own settings (PATCH /api/auth/me): only these fields. */
export const updateMeBody = patchBody(z.object({ dailyDigest: z.boolean() }).partial());
export type UpdateMeBody = z.infer<typeof updateMeBody>;
