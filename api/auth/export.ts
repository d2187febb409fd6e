/**
 * The account's data as one JSON document (GET /api/auth/me/export), streamed: each section is
 * read in pages of EXPORT_PAGE_ROWS rows (keyset on a unique column, each page one short
 * transaction in the user's row-level security scope), and the next page is read only when the
 * client has taken the previous one, so a big account never sits in memory and a slow client holds
 * no transaction open. The document ends with `"complete": true`: a download cut short lacks it.
 *
 * Sections: EXPORT_SECTIONS below, one per tenant table (and the audit entries about the user).
 * Never exported: password and token hashes, webhook secrets, account tokens.
 */
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { withTenant } from '../../db/tenant';
import type { Logger } from '../../lib/logger';
import { me } from './service';

export const EXPORT_FORMAT = 'blogger-analytics-export/1';
const EXPORT_PAGE_ROWS = 500;

type Row = Record<string, unknown>;

export interface ExportSection {
  /** The section's key in the document. */
  name: string;
  /** A unique column the pages follow, in ascending order (the row field of the same name, camelCase). */
  key: string;
  /** One page of the user's rows with key > after (all from the start when null), in key order. */
  page(trx: Knex.Transaction, userId: number, after: unknown, limit: number): Promise<Row[]>;
}

/** A section of one tenant table: the user's rows, every column but `omit`. */
export function tableSection(
  name: string,
  table: string,
  opts: { key?: string; omit?: string[]; where?: (query: Knex.QueryBuilder, userId: number) => void } = {},
): ExportSection {
  const key = opts.key ?? 'id';
  const omit = new Set(opts.omit ?? []);
  return {
    name,
    key,
    async page(trx, userId, after, limit) {
      const query = trx(table).select('*');
      if (opts.where) query.where((q) => opts.where!(q, userId));
      else query.where('userId', userId);
      if (after !== null) query.where(key, '>', after as Knex.Value);
      const rows = (await query.orderBy(key).limit(limit)) as Row[];
      return omit.size ? rows.map((row) => Object.fromEntries(Object.entries(row).filter(([field]) => !omit.has(field)))) : rows;
    },
  };
}

/**
 * Everything the account owns, in document order. A feature with a tenant table adds its section
 * here (secrets omitted).
 */
export const EXPORT_SECTIONS: ExportSection[] = [
  tableSection('bloggers', 'bloggers'),
  tableSection('videoHistory', 'video_history'),
  {
    // Days as 'YYYY-MM-DD' (a date column arrives as a local-midnight Date, which would page by the process's time zone).
    name: 'usageDaily',
    key: 'day',
    page: (trx, userId, after, limit) =>
      trx('usage_daily')
        .select(trx.raw("to_char(day, 'YYYY-MM-DD') as day"), 'videosFetched', 'apiRequests', 'createdAt', 'updatedAt')
        .where('userId', userId)
        .modify((q) => {
          if (after !== null) q.where('day', '>', after as string);
        })
        .orderBy('day')
        .limit(limit),
  },
  // Alert rules and webhooks (api/alerts, api/webhooks): never a webhook's signing secret.
  tableSection('alertRules', 'alert_rules'),
  tableSection('alertFirings', 'alert_firings'),
  tableSection('webhooks', 'webhook_endpoints', { omit: ['secret'] }),
  tableSection('webhookDeliveries', 'webhook_deliveries'),
  tableSection('webhookDeliveryAttempts', 'webhook_delivery_attempts'),
  tableSection('followerCounts', 'blogger_follower_counts'),
  // Each login (refresh-token family member) with its address and client: the user's own data; never the hash.
  tableSection('sessions', 'refresh_tokens', { omit: ['tokenHash'] }),
  tableSection('auditLog', 'audit_logs', {
    where: (q, userId) => q.where('actorId', userId).orWhere((t) => t.where({ targetType: 'user', targetId: String(userId) })),
  }),
];

async function* documentChunks(
  db: Knex,
  userId: number,
  profile: unknown,
  sections: ExportSection[],
  logger: Logger,
): AsyncGenerator<string> {
  try {
    yield `{"format":${JSON.stringify(EXPORT_FORMAT)},"exportedAt":${JSON.stringify(new Date())},\n"profile":${JSON.stringify(profile)}`;
    for (const section of sections) {
      yield `,\n${JSON.stringify(section.name)}:[`;
      let after: unknown = null;
      let first = true;
      for (;;) {
        const rows = await withTenant(db, { userId }, (trx) => section.page(trx, userId, after, EXPORT_PAGE_ROWS));
        if (rows.length) {
          yield `${first ? '\n' : ',\n'}${rows.map((row) => JSON.stringify(row)).join(',\n')}`;
          first = false;
        }
        if (rows.length < EXPORT_PAGE_ROWS) break;
        after = rows[rows.length - 1]![section.key];
      }
      yield ']';
    }
    yield ',\n"complete":true}\n';
  } catch (err) {
    // The answer has begun: it can only be cut short (the client sees no "complete").
    logger.error({ err, userId }, 'account export failed midway');
    throw err;
  }
}

/**
 * The export of one account: the profile is read before anything is sent (so a failure there is
 * an ordinary error answer), the rest streams.
 */
export async function exportAccount(
  deps: { db: Knex; logger: Logger },
  userId: number,
  sections: ExportSection[] = EXPORT_SECTIONS,
): Promise<{ filename: string; body: Readable }> {
  const profile = await me(deps, userId);
  const filename = `blogger-analytics-export-${userId}-${new Date().toISOString().slice(0, 10)}.json`;
  return { filename, body: Readable.from(documentChunks(deps.db, userId, profile, sections, deps.logger)) };
}
