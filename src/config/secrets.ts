/**
 * Secrets resolve in this order: environment variable → `*_file` → inline value. The first one
 * that is set wins (an empty env var counts as unset). Files are read whole, with surrounding
 * whitespace (the trailing newline) removed; a relative path is relative to the config file.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

export type ReadFile = (path: string) => string;
export type Env = Record<string, string | undefined>;

export const readFileText: ReadFile = (p) => readFileSync(p, "utf8");

/** Permission bits of a file, or undefined when unknown. */
export type FileMode = (path: string) => number | undefined;

export const fileMode: FileMode = (p) => {
  try {
    return statSync(p).mode & 0o777;
  } catch {
    return undefined;
  }
};

export interface SecretSpec {
  /** Env vars to try, in order. */
  env: readonly string[];
  file?: string;
  inline?: string;
  /** Config key names, for messages. */
  fileKey: string;
  inlineKey: string;
}

export type SecretResult =
  | { ok: true; value?: string; from?: string; warning?: string }
  | { ok: false; error: string; errorKey: string };

/** Turns "FOO bar-1" into "FOO_BAR_1" for env var names. */
export function envName(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

function fsReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied (the file must be readable by the user pipam runs as)";
  if (code === "EISDIR") return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

export function resolveSecret(
  spec: SecretSpec,
  env: Env,
  readFile: ReadFile,
  baseDir: string,
  modeOf?: FileMode,
): SecretResult {
  for (const name of spec.env) {
    const v = env[name];
    if (v !== undefined && v.trim() !== "") {
      const bad = controlChar(v.trim(), `$${name}`);
      if (bad) return { ok: false, error: bad, errorKey: spec.fileKey };
      return { ok: true, value: v.trim(), from: `$${name}` };
    }
  }
  if (spec.file !== undefined) {
    const path = isAbsolute(spec.file) ? spec.file : resolve(baseDir, spec.file);
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      return {
        ok: false,
        error: `cannot read secret file ${path}: ${fsReason(err)}`,
        errorKey: spec.fileKey,
      };
    }
    const value = text.trim();
    if (value === "") return { ok: false, error: `secret file ${path} is empty`, errorKey: spec.fileKey };
    const bad = controlChar(value, `secret file ${path}`);
    if (bad) return { ok: false, error: bad, errorKey: spec.fileKey };
    const mode = modeOf?.(path);
    const warning =
      mode !== undefined && (mode & 0o004) !== 0
        ? `secret file ${path} is readable by every user (mode ${mode.toString(8).padStart(4, "0")}); chmod 0640 it`
        : spec.inline !== undefined
          ? `both ${spec.fileKey} and ${spec.inlineKey} are set; ${spec.fileKey} is used`
          : undefined;
    return { ok: true, value, from: path, ...(warning ? { warning } : {}) };
  }
  if (spec.inline !== undefined && spec.inline !== "") {
    const bad = controlChar(spec.inline, spec.inlineKey);
    if (bad) return { ok: false, error: bad, errorKey: spec.inlineKey };
    return { ok: true, value: spec.inline, from: spec.inlineKey };
  }
  return { ok: true };
}

/**
 * Secrets travel in HTTP headers (API keys, tokens, bearer credentials): a line break or other
 * control character inside one is refused here, where it can be named, rather than failing every
 * request later (or, in a hand-written request, starting a header of its own).
 */
function controlChar(value: string, where: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) continue;
    const what =
      c === 0x0a || c === 0x0d ? "a line break" : `control character 0x${c.toString(16).padStart(2, "0")}`;
    return `${where} has ${what} inside the secret (position ${i + 1}); a secret is a single line`;
  }
  return undefined;
}
