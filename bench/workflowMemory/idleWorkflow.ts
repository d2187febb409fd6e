/** The smallest workflow the SDK can keep cached: one durable timer, nothing of the product's. */
import { sleep } from '@temporalio/workflow';

export async function idle(): Promise<void> {
  await sleep('1 day');
}
