/**
 * The one error type of pipam. Thrown only at I/O edges (pure code returns results).
 * `code` is stable and machine-readable; `transient` says whether retrying may help
 * (timeouts, 5xx, connection refused) — the reconcile loop retries those and stops on the rest.
 */
export type ErrorCode =
  | "config"
  | "usage"
  | "auth"
  | "forbidden"
  | "not_found"
  | "timeout"
  | "unavailable"
  | "bad_response"
  | "rejected"
  | "conflict"
  | "storage"
  | "not_leader"
  | "internal";

export class PipamError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  /** Extra structured context for logs (never secrets). */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { transient?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "PipamError";
    this.code = code;
    this.transient = opts.transient ?? false;
    this.details = opts.details ?? {};
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof PipamError && err.transient;
}

/** A short human message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
