/**
 * Trend lifecycle: a detected trend that stops qualifying fades and then ends (see
 * lib/domain/trendLifecycle.ts). `missed_runs` counts the analysis runs in a row that did not see
 * it; `ended_at` is the run that ended it. The status check lists the same words as TREND_STATUSES (a migration is history, so they are
 * written out here; db/statusVocabulary.test.ts checks that the two agree).
 */
import type { Knex } from 'knex';

const STATUSES = ['emerging', 'peaking', 'fading', 'ended'];
const OLD_STATUSES = ['emerging', 'peaking', 'fading'];
const check = (statuses: readonly string[]) => `CHECK (status IN (${statuses.map((s) => `'${s}'`).join(', ')}))`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('detected_trends', (t) => {
    t.integer('missed_runs').notNullable().defaultTo(0).comment('analysis runs in a row that did not see the trend');
    t.timestamp('ended_at', { useTz: true }).comment('the analysis run that ended the trend');
  });
  await knex.raw(`ALTER TABLE detected_trends DROP CONSTRAINT IF EXISTS detected_trends_status_check,
                  ADD CONSTRAINT detected_trends_status_check ${check(STATUSES)}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('detected_trends').where('status', 'ended').update({ status: 'fading' });
  await knex.raw(`ALTER TABLE detected_trends DROP CONSTRAINT IF EXISTS detected_trends_status_check,
                  ADD CONSTRAINT detected_trends_status_check ${check(OLD_STATUSES)}`);
  await knex.schema.alterTable('detected_trends', (t) => {
    t.dropColumn('missed_runs');
    t.dropColumn('ended_at');
  });
}
