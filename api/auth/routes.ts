/**
 * /api/auth: register, login, refresh, password reset, email verification (public); logout, me,
 * password change, verification resend, account deletion and export (access token required).
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../../lib/errors';
import { currentAccount, currentUser } from '../middleware/auth';
import { limitPerIp, limitPerUser, redisLimiter } from '../middleware/rateLimit';
import { validateBody } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { apiRouter } from '../router';
import { exportAccount } from './export';
import {
  changePasswordBody,
  deleteAccountBody,
  loginBody,
  passwordResetConfirmBody,
  passwordResetRequestBody,
  refreshBody,
  registerBody,
  updateMeBody,
  verifyEmailBody,
} from './schema';
import * as selfService from './selfService';
import * as auth from './service';
import type { AccessClaims } from './tokens';

const HOUR_SECONDS = 3600;

export function authRoutes(deps: auth.AuthDeps, protect: Middleware): Router {
  const router = apiRouter('/api/auth');
  // Counted before validation: a malformed request costs the caller an attempt too.
  const registerLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:register:ip',
    points: deps.config.REGISTER_MAX_PER_IP,
    durationSeconds: 3600,
    what: 'registrations',
  });
  const refreshLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:refresh:ip',
    points: deps.config.REFRESH_MAX_PER_IP,
    durationSeconds: 60,
    what: 'token refreshes',
  });
  const resetLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:password-reset:ip',
    points: deps.config.PASSWORD_RESET_MAX_PER_IP,
    durationSeconds: HOUR_SECONDS,
    what: 'password reset requests',
  });
  // Counted for every address, with an account or not: a refusal says nothing about the address.
  const resetPerEmail = redisLimiter(deps.redis, 'rl:password-reset:email', deps.config.PASSWORD_RESET_MAX_PER_EMAIL, HOUR_SECONDS);
  const tokenLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:account-token:ip',
    points: deps.config.ACCOUNT_TOKEN_MAX_PER_IP,
    durationSeconds: HOUR_SECONDS,
    what: 'attempts to use a reset or verification token',
  });
  const resendLimit = limitPerUser(deps.redis, {
    keyPrefix: 'rl:verify-resend:user',
    points: deps.config.EMAIL_VERIFICATION_RESEND_MAX_PER_HOUR,
    durationSeconds: HOUR_SECONDS,
    what: 'ask for a verification mail',
  });
  const exportLimit = limitPerUser(deps.redis, {
    keyPrefix: 'rl:export:user',
    points: deps.config.ACCOUNT_EXPORT_MAX_PER_HOUR,
    durationSeconds: HOUR_SECONDS,
    what: 'export your data',
  });

  router.post('/register', registerLimit, validateBody(registerBody), async (ctx) => {
    const user = await auth.register(deps, ctx.state.body, requestMeta(ctx));
    ctx.status = 201;
    ctx.body = { user: await auth.me(deps, user.id) };
  });

  router.post('/login', validateBody(loginBody), async (ctx) => {
    ctx.body = await auth.login(deps, ctx.state.body, requestMeta(ctx));
  });

  router.post('/refresh', refreshLimit, validateBody(refreshBody), async (ctx) => {
    ctx.body = await auth.refresh(deps, ctx.state.body, requestMeta(ctx));
  });

  router.post('/logout', protect, async (ctx) => {
    const token = ctx.state.token as AccessClaims;
    await auth.logout(deps, currentUser(ctx), { jti: token.jti, familyId: token.fid, exp: token.exp }, requestMeta(ctx));
    ctx.status = 204;
  });

  // The account authentication has just read (kept a few seconds, dropped at once on every change).
  router.get('/me', protect, (ctx) => {
    ctx.body = { user: currentAccount(ctx).profile };
  });

  router.patch('/me', protect, validateBody(updateMeBody), async (ctx) => {
    ctx.body = { user: await auth.updateMe(deps, currentUser(ctx), ctx.state.body, requestMeta(ctx)) };
  });

  // The same answer whether or not the address has an account: the lookup and the mail come after it.
  router.post('/password-reset', resetLimit, validateBody(passwordResetRequestBody), async (ctx) => {
    const { email } = ctx.state.body;
    try {
      await resetPerEmail.consume(email);
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      throw new TooManyRequestsError(
        `Too many password reset requests for this address (at most ${deps.config.PASSWORD_RESET_MAX_PER_EMAIL} per hour). Use the latest mail, or retry in ${Math.ceil(rejected.msBeforeNext / 1000)} s.`,
        rejected.msBeforeNext / 1000,
      );
    }
    ctx.status = 202;
    ctx.body = selfService.requestPasswordReset(deps, email, requestMeta(ctx));
  });

  router.post('/password-reset/confirm', tokenLimit, validateBody(passwordResetConfirmBody), async (ctx) => {
    ctx.body = await selfService.confirmPasswordReset(deps, ctx.state.body, requestMeta(ctx));
  });

  router.post('/password', protect, validateBody(changePasswordBody), async (ctx) => {
    const token = ctx.state.token as AccessClaims;
    ctx.body = await selfService.changePassword(deps, currentUser(ctx), token, ctx.state.body, requestMeta(ctx));
  });

  router.post('/verify-email', tokenLimit, validateBody(verifyEmailBody), async (ctx) => {
    ctx.body = await selfService.verifyEmail(deps, ctx.state.body.token, requestMeta(ctx));
  });

  router.post('/verify-email/resend', protect, resendLimit, async (ctx) => {
    ctx.status = 202;
    ctx.body = await selfService.resendVerification(deps, currentUser(ctx).id, requestMeta(ctx));
  });

  router.delete('/me', protect, validateBody(deleteAccountBody), async (ctx) => {
    await selfService.deleteAccount(deps, currentUser(ctx), ctx.state.body, requestMeta(ctx));
    ctx.status = 204;
  });

  router.get('/me/export', protect, exportLimit, async (ctx) => {
    const { filename, body } = await exportAccount(deps, currentUser(ctx).id);
    ctx.set('Content-Disposition', `attachment; filename="${filename}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  });

  return router;
}
