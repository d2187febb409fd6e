/** Request shapes of /api/webhooks. The URL's rules (https, public addresses) are checked by the service. */
import { z } from 'zod';
import { patchBody } from '../patchBody';
import { rowId } from '../ids';
import { pageQuery } from '../pagination';

const url = z.string().trim().min(1, 'is required').max(2048);
const description = z.string().trim().max(500).nullable();

export const createWebhookBody = z.object({ url, description: description.default(null), enabled: z.boolean().default(true) }).strict();
export type CreateWebhookBody = z.output<typeof createWebhookBody>;

export const updateWebhookBody = patchBody(
  z.object({ url: url.optional(), description: description.optional(), enabled: z.boolean().optional() }),
);
export type UpdateWebhookBody = z.output<typeof updateWebhookBody>;

export const listWebhooksQuery = z.object(pageQuery);

export const listDeliveriesQuery = z.object({
  ...pageQuery,
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
});
export type ListDeliveriesQuery = z.output<typeof listDeliveriesQuery>;

export const webhookIdParam = z.object({ id: rowId });
export const deliveryParams = z.object({ id: rowId, deliveryId: rowId });
