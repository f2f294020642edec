/** Shared pieces of normalisation: where issues and warnings go, secrets, canonical forms. */
import ipaddr from "ipaddr.js";
import type { KeyPath } from "./locate.ts";
import { type Env, type FileMode, type ReadFile, resolveSecret, type SecretSpec } from "./secrets.ts";

export interface PathIssue {
  path: KeyPath;
  message: string;
}

export interface NormalizeContext {
  env: Env;
  readFile: ReadFile;
  /** Permission bits of secret files (for the "readable by everyone" warning). */
  modeOf?: FileMode;
  /** Directory of the config file (relative *_file paths resolve against it). */
  baseDir: string;
  path: string;
}

/** Collects issues and warnings; resolves secrets (a failed one becomes an issue). */
export interface Sink {
  readonly issues: PathIssue[];
  readonly warnings: string[];
  issue(path: KeyPath, message: string): void;
  warn(message: string): void;
  /**
   * A secret from env, file or inline value. A failed read becomes an issue at its key; with
   * `missing`, finding none at all is an issue at the inline key too.
   */
  secret(path: KeyPath, spec: SecretSpec, opts?: { label?: string; missing?: string }): string | undefined;
}

export function createSink(ctx: NormalizeContext): Sink {
  const issues: PathIssue[] = [];
  const warnings: string[] = [];
  const sink: Sink = {
    issues,
    warnings,
    issue: (path, message) => {
      issues.push({ path, message });
    },
    warn: (message) => {
      warnings.push(message);
    },
    secret(path, spec, opts = {}) {
      const r = resolveSecret(spec, ctx.env, ctx.readFile, ctx.baseDir, ctx.modeOf);
      if (!r.ok) {
        sink.issue([...path, r.errorKey], r.error);
        return undefined;
      }
      if (r.warning) warnings.push(`${opts.label ?? path.join(".")}: ${r.warning}`);
      if (r.value === undefined && opts.missing) sink.issue([...path, spec.inlineKey], opts.missing);
      return r.value;
    },
  };
  return sink;
}

/** "Example.COM" → "example.com." */
export function absoluteZone(z: string): string {
  const s = z.trim().toLowerCase();
  return s.endsWith(".") ? s : `${s}.`;
}

export function zoneProblem(zone: string): string | undefined {
  if (zone === "." || zone.length > 254) return "is not a valid zone name";
  for (const label of zone.slice(0, -1).split(".")) {
    if (label === "" || label.length > 63 || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return `is not a valid zone name (bad label "${label}")`;
    }
  }
  return undefined;
}

/** Canonical CIDR (network address), or an error message. */
export function canonicalCidr(cidr: string): { cidr: string; exact: boolean } | { error: string } {
  try {
    const [addr, prefix] = ipaddr.parseCIDR(cidr.trim());
    const net =
      addr.kind() === "ipv4"
        ? ipaddr.IPv4.networkAddressFromCIDR(cidr.trim())
        : ipaddr.IPv6.networkAddressFromCIDR(cidr.trim());
    const out = `${net.toString()}/${prefix}`;
    return { cidr: out, exact: net.toString() === addr.toString() };
  } catch {
    return { error: `"${cidr}" is not a CIDR like 10.0.0.0/16 or 2001:db8::/64` };
  }
}

export function httpUrl(v: string): { url: string; protocol: string } | { error: string } {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { error: `"${v}" is not a URL (e.g. https://host:8006)` };
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    return { error: `"${v}" must start with https:// or http://` };
  }
  if (u.username || u.password) return { error: "must not contain credentials; use the token keys" };
  return { url: v.replace(/\/+$/, ""), protocol: u.protocol };
}
