/** Test users: created through the real API (register + login), with role/plan set directly. */
import { randomUUID } from 'node:crypto';
import { User, type Role } from '../db/models';
import type { Plan } from '../lib/domain/plans';
import type { TestApi } from './api';
import { testDb } from './harness';

export interface TestUser {
  id: number;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** `emailVerified: true` marks the address verified, as the emailed link would (registration leaves it unverified). */
export async function createUser(
  api: TestApi,
  opts: { role?: Role; plan?: Plan; email?: string; emailVerified?: boolean } = {},
): Promise<TestUser> {
  const email = opts.email ?? `user-${randomUUID()}@example.com`;
  const password = 'correct horse battery';
  const reg = await api.request('POST', '/api/auth/register', { body: { email, password } });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const id = reg.body.user.id as number;
  if (opts.role || opts.plan || opts.emailVerified) {
    await User.query(testDb())
      .patch({
        ...(opts.role ? { role: opts.role } : {}),
        ...(opts.plan ? { plan: opts.plan } : {}),
        ...(opts.emailVerified ? { emailVerifiedAt: new Date() } : {}),
      })
      .where('id', id);
  }
  const login = await api.request('POST', '/api/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { id, email, password, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
}

/** Runs `body` with `adminId` the only active admin: every other active admin is deactivated for it, then restored. */
export async function asOnlyActiveAdmin<T>(adminId: number, body: () => Promise<T>): Promise<T> {
  const others = await User.query(testDb()).where({ role: 'admin', isActive: true }).whereNot('id', adminId);
  const ids = others.map((o) => o.id);
  await User.query(testDb()).patch({ isActive: false }).whereIn('id', ids);
  try {
    return await body();
  } finally {
    await User.query(testDb()).patch({ isActive: true }).whereIn('id', ids);
  }
}
