import type { CliContext } from "./context.ts";

/** Placeholder for commands whose function lands in a later issue: says so and exits 1. */
export function notImplemented(ctx: CliContext, command: string): void {
  ctx.io.err(`pipam ${command}: not implemented yet\n`);
  ctx.setResult(1);
}
