/**
 * Reading and validating the config file. `checkConfig` returns every problem (never throws);
 * `parseConfig` and `loadConfig` throw one PipamError("config") listing them all.
 */
import { readFile as readFileAsync } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { PipamError } from "../lib/errors.ts";
import { knownKeys, whereKeyBelongs } from "./known-keys.ts";
import { createKeyLocator, type KeyPath } from "./locate.ts";
import { normalizeConfig, type PathIssue } from "./normalize.ts";
import { rawConfigSchema } from "./schema.ts";
import { type Env, type FileMode, fileMode, type ReadFile, readFileText } from "./secrets.ts";
import { closest } from "./suggest.ts";
import type { Config, ConfigIssue } from "./types.ts";

export interface ParseOptions {
  /** Reads secret and CA files (tests inject one). */
  readFile?: ReadFile;
  /** Permission bits of secret files; default: stat them when readFile is the real one. */
  modeOf?: FileMode;
}

export type CheckResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** `["mapping","example.com","networks",0,"cidr"]` → `mapping."example.com".networks[0].cidr` */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const k = BARE_KEY.test(seg) ? seg : JSON.stringify(seg);
      out += out === "" ? k : `.${k}`;
    }
  }
  return out;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function checkConfig(
  text: string,
  path: string,
  env: Env = process.env,
  opts: ParseOptions = {},
): CheckResult {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? err.message;
      return {
        ok: false,
        issues: [{ key: "", line: err.line, message: `TOML syntax: ${first} (column ${err.column})` }],
      };
    }
    throw err;
  }

  // A single [proxmox] table is one cluster; validate it as [[proxmox]] and map paths back.
  const single = isTable(doc.proxmox);
  const input = single ? { ...doc, proxmox: [doc.proxmox] } : doc;
  const userPath = (p: KeyPath): KeyPath =>
    single && p[0] === "proxmox" && p[1] === 0 ? ["proxmox", ...p.slice(2)] : p;

  const pathIssues: PathIssue[] = [];
  const parsed = rawConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const at = iss.path.filter((s): s is string | number => typeof s !== "symbol");
      if (iss.code === "unrecognized_keys") {
        const known = knownKeys(rawConfigSchema, at);
        for (const key of iss.keys) {
          const near = closest(key, known);
          const where = near ? [] : whereKeyBelongs(rawConfigSchema, key);
          const hint = near
            ? ` — did you mean "${near}"?`
            : where.length > 0
              ? ` — it belongs in ${where.map((w) => (w === "" ? "the top level" : `[${w}]`)).join(" or ")}`
              : "";
          pathIssues.push({ path: [...at, key], message: `unknown key${hint}` });
        }
      } else pathIssues.push({ path: at, message: iss.message });
    }
  } else {
    const r = normalizeConfig(parsed.data, {
      env,
      readFile: opts.readFile ?? readFileText,
      ...((opts.modeOf ?? (opts.readFile ? undefined : fileMode)) ? { modeOf: opts.modeOf ?? fileMode } : {}),
      baseDir: dirname(resolve(path)),
      path,
    });
    if (r.config) return { ok: true, config: r.config };
    pathIssues.push(...r.issues);
  }

  const locator = createKeyLocator(text);
  const issues = pathIssues.map((i): ConfigIssue => {
    const p = userPath(i.path);
    const line = locator.lineOf(p);
    return { key: formatKeyPath(p), ...(line !== undefined ? { line } : {}), message: i.message };
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, issues };
}

/** `path:line: key: message` lines, as printed by the CLI. */
export function formatIssues(path: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map(
      (i) => `${path}${i.line !== undefined ? `:${i.line}` : ""}: ${i.key ? `${i.key}: ` : ""}${i.message}`,
    )
    .join("\n");
}

function configError(path: string, issues: ConfigIssue[]): PipamError {
  const n = issues.length;
  return new PipamError(
    "config",
    `invalid config (${n} problem${n === 1 ? "" : "s"}):\n${formatIssues(path, issues)}`,
    {
      details: { path, issues },
    },
  );
}

export function parseConfig(
  text: string,
  path: string,
  env: Env = process.env,
  opts: ParseOptions = {},
): Config {
  const r = checkConfig(text, path, env, opts);
  if (!r.ok) throw configError(path, r.issues);
  return r.config;
}

export async function loadConfig(
  path: string,
  env: Env = process.env,
  opts: ParseOptions = {},
): Promise<Config> {
  let text: string;
  try {
    text = await readFileAsync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(err);
    throw new PipamError("config", `cannot read config file ${path}: ${why}`, {
      cause: err,
      details: { path },
    });
  }
  return parseConfig(text, path, env, opts);
}
