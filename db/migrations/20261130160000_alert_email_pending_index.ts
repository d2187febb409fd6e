/**
 * The notification sweep (workflows/notificationSweep.ts) looks every few minutes for alert emails
 * still pending; a partial index keeps that a lookup of the few pending rows, however many firings
 * the table holds. (Pending webhook deliveries have theirs: webhook_deliveries_pending.)
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX alert_firings_email_pending ON alert_firings (id) WHERE email_status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX alert_firings_email_pending');
}
