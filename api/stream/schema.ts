/** Input of /api/stream. */
import { z } from 'zod';

export const streamQuery = z.object({
  /** A ticket from POST /api/stream/ticket, for clients that cannot send headers (EventSource). */
  ticket: z.string().max(200).optional(),
  /** Where to resume, for clients that cannot send the Last-Event-ID header; the header wins when both are sent. */
  lastEventId: z.string().max(1000).optional(),
});
export type StreamQuery = z.infer<typeof streamQuery>;
