/** Polls `check` every `everyMs` until it gives a value; fails naming `what` after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
