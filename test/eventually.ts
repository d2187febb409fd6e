/** Polls until a condition holds (Temporal visibility and schedules are eventually consistent). */
export async function eventually<T>(probe: () => PromiseLike<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await probe();
  }
  return value;
}
