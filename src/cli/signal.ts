/** An AbortSignal that fires on SIGINT/SIGTERM, for one-shot commands. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSig = (sig: string) => ac.abort(new Error(`interrupted (${sig})`));
  process.once("SIGINT", onSig);
  process.once("SIGTERM", onSig);
  return {
    signal: ac.signal,
    dispose() {
      process.off("SIGINT", onSig);
      process.off("SIGTERM", onSig);
    },
  };
}
