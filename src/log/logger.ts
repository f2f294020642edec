/**
 * Structured logging to stderr, text or JSON. Fields whose key looks secret are redacted,
 * so a token can never reach the log even by mistake.
 */
export type LogLevel = "debug" | "info" | "warning" | "error";
export type LogFormat = "text" | "json";
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };
const SECRET_KEY = /(token|secret|password|api[_-]?key|authorization|uuid|credential)/i;

/** Redacts secret-looking keys at any depth (nested objects and arrays too). */
export function redact(fields: Fields): Fields {
  return redactValue(fields, 0, new WeakSet()) as Fields;
}

function redactValue(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v !== "object" || v === null || v instanceof Date) return v;
  if (seen.has(v) || depth > 8) return "[…]";
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1, seen));
  const out: Fields = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = SECRET_KEY.test(k) && x !== undefined ? "[redacted]" : redactValue(x, depth + 1, seen);
  }
  return out;
}

/** Replaces every known secret value in a finished line (defence in depth for messages). */
function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) {
    out = out.replaceAll(s, "[redacted]");
    const json = JSON.stringify(s).slice(1, -1);
    if (json !== s) out = out.replaceAll(json, "[redacted]");
  }
  return out;
}

function textValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s !== undefined && /[\s"=]/.test(s) ? JSON.stringify(s) : String(s);
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  now?: () => Date;
  /** Secret values (tokens, keys) that must never appear in a line; replaced by [redacted]. */
  secrets?: readonly string[];
}

export function createLogger(opts: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = ORDER[opts.level ?? "info"];
  const format = opts.format ?? "text";
  const rawWrite = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const secrets = (opts.secrets ?? []).filter((x) => x.length >= 4);
  const write = secrets.length === 0 ? rawWrite : (line: string) => rawWrite(scrub(line, secrets));
  const emit = (level: LogLevel, msg: string, fields?: Fields) => {
    if (ORDER[level] < min) return;
    const all = redact({ ...base, ...fields });
    const ts = now().toISOString();
    if (format === "json") {
      write(JSON.stringify({ ts, level, msg, ...all }));
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${textValue(v)}`)
        .join(" ");
      write(`${ts} ${level.toUpperCase().padEnd(7)} ${msg}${kv ? ` ${kv}` : ""}`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warning", m, f),
    error: (m, f) => emit("error", m, f),
    child: (f) => createLogger(opts, { ...base, ...f }),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
