/**
 * One page of a list and its total in one statement: `count(*) over ()` beside the rows, where
 * Objection's `page()` sends a count query and then the page (a round trip per list request saved
 * on the API's hot path, issue 13). Only a page past the end, which has no row to carry the total,
 * asks for the count alone. Not for queries with DISTINCT (the window counts before it).
 */
import type { Knex } from 'knex';
import { raw, type Model, type QueryBuilder } from 'objection';

export async function pageWithTotal<M extends Model>(
  query: QueryBuilder<M, M[]>,
  page: number,
  limit: number,
): Promise<{ results: M[]; total: number }> {
  const counted = query.clone();
  if (!counted.hasSelects()) counted.select(`${counted.modelClass().tableName}.*`);
  const rows = (await counted
    .select(raw('count(*) over () as page_total'))
    .limit(limit)
    .offset((page - 1) * limit)) as (M & { pageTotal?: string | number })[];
  if (rows.length === 0) return { results: [], total: page === 1 ? 0 : await query.clone().resultSize() };
  const total = Number(rows[0]!.pageTotal);
  for (const row of rows) delete row.pageTotal;
  return { results: rows, total };
}

/**
 * The same for a plain knex query over one table (lists built on knex rather than a model): every
 * column of its rows, in the caller's order.
 */
export async function knexPageWithTotal<Row>(
  query: Knex.QueryBuilder,
  page: number,
  limit: number,
): Promise<{ results: Row[]; total: number }> {
  const rows = (await query
    .clone()
    .clearSelect()
    .select('*', query.client.raw('count(*) over () as page_total'))
    .limit(limit)
    .offset((page - 1) * limit)) as (Row & { pageTotal?: string | number })[];
  if (rows.length > 0) {
    const total = Number(rows[0]!.pageTotal);
    for (const row of rows) delete row.pageTotal;
    return { results: rows, total };
  }
  if (page === 1) return { results: [], total: 0 };
  const counted = (await query.clone().clearSelect().clearOrder().count('* as count').first()) as { count: string | number } | undefined;
  return { results: [], total: Number(counted?.count ?? 0) };
}
