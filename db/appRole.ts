/**
 * The app role's password. It is set from APP_DATABASE_PASSWORD by the migrations (and again by
 * every `npm run migrate`, so a changed password takes effect), as a SCRAM-SHA-256 verifier
 * computed here: the plain password never reaches the server, its logs or pg_stat_statements.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/** PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as in pg_authid). */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  // PostgreSQL runs SASLprep on the password; for the printable ASCII passwords the config accepts
  // it changes nothing.
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** True when a stored SCRAM verifier was made from this password. */
export function scramVerifierMatches(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!m) return false;
  return scramSha256Verifier(password, Buffer.from(m[2]!, 'base64'), Number(m[1])) === verifier;
}

const VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;
const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** Sets a role's password (run as a role allowed to: the owner/superuser that runs migrations). */
export async function setRolePassword(db: Knex, role: string, password: string): Promise<void> {
  if (!ROLE_NAME.test(role)) throw new Error(`invalid role name: ${role}`);
  const verifier = scramSha256Verifier(password);
  if (!VERIFIER.test(verifier)) throw new Error('unexpected SCRAM verifier shape');
  // Utility statements take no bind parameters; both parts are checked against strict patterns above.
  await db.raw(`ALTER ROLE "${role}" PASSWORD '${verifier}'`);
}
