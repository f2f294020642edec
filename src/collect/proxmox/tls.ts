/**
 * TLS for the Proxmox client: verification on by default, `insecure`, a custom CA file, and
 * SHA-256 fingerprint pinning of the server's leaf certificate.
 *
 * Pinning and Bun (measured on 1.4.5): fetch's `tls.checkServerIdentity` runs only after the chain
 * verified, and a leaf certificate is not accepted as its own trust anchor. So:
 * - pin + ca_file: every connection is chain-verified against the CA and checkServerIdentity
 *   compares the leaf fingerprint (true per-connection pinning);
 * - pin alone (the usual self-signed pve-ssl.pem): a dedicated TLS handshake to the same host:port
 *   checks the leaf fingerprint before requests are sent (re-checked at least every `PIN_TTL_MS`),
 *   then requests run with chain verification off.
 */
import * as tls from "node:tls";
import { PipamError } from "../../lib/errors.ts";

export const PIN_TTL_MS = 30_000;

/** Accepts `AB:CD:…`, `abcd…`, several separated by commas/spaces; returns upper-case colon-hex. */
export function normalizeFingerprints(raw: string): string[] {
  const out: string[] = [];
  for (const part of raw.split(/[,\s;]+/)) {
    if (part === "") continue;
    const hex = part.replace(/:/g, "").toUpperCase();
    if (!/^[0-9A-F]{64}$/.test(hex)) {
      throw new PipamError(
        "config",
        `fingerprint ${JSON.stringify(part)} is not a SHA-256 fingerprint (64 hex digits)`,
      );
    }
    out.push(hex.match(/../g)!.join(":"));
  }
  return out;
}

export interface PeerCert {
  fingerprint: string;
  /** Chain verification result against the system store (informational). */
  authorized: boolean;
  authorizationError?: string;
}

/** One TLS handshake to read the server's leaf certificate (no HTTP is sent). */
export function peerCertificate(
  url: URL,
  signal: AbortSignal,
  ca?: string,
  timeoutMs = 15_000,
): Promise<PeerCert> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || 443);
    const isIp = /^[\d.]+$/.test(host) || host.includes(":");
    const sock = tls.connect({
      host,
      port,
      rejectUnauthorized: false,
      ...(isIp ? {} : { servername: host }),
      ...(ca ? { ca } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      signal.removeEventListener("abort", onAbort);
      reject(
        new PipamError("timeout", `TLS handshake with ${url.host}: no answer within ${timeoutMs} ms`, {
          transient: true,
        }),
      );
    }, timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      sock.destroy();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    sock.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = sock.getPeerCertificate();
      signal.removeEventListener("abort", onAbort);
      const authErr = sock.authorizationError;
      sock.end();
      if (!cert?.fingerprint256) {
        reject(new PipamError("unavailable", `${url.host}: the server presented no certificate`));
        return;
      }
      resolve({
        fingerprint: cert.fingerprint256.toUpperCase(),
        authorized: sock.authorized,
        ...(authErr ? { authorizationError: String(authErr) } : {}),
      });
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      reject(
        new PipamError("unavailable", `cannot connect to ${url.host}: ${err.message}`, {
          transient: true,
          cause: err,
        }),
      );
    });
  });
}

export function pinMismatch(host: string, got: string, want: string[]): PipamError {
  return new PipamError(
    "rejected",
    `TLS certificate of ${host} does not match the pinned fingerprint: server has ${got}, expected ${want.join(" or ")} (certificate renewed? update fingerprint)`,
    { details: { fingerprint: got } },
  );
}

/** The `tls` option for Bun's fetch. */
export function fetchTls(opts: { insecure: boolean; ca?: string; pins: string[] }): Record<string, unknown> {
  if (opts.ca !== undefined && opts.pins.length > 0) {
    return {
      ca: opts.ca,
      checkServerIdentity: (host: string, cert: { fingerprint256?: string }) => {
        const got = (cert.fingerprint256 ?? "").toUpperCase();
        return opts.pins.includes(got) ? undefined : pinMismatch(host, got, opts.pins);
      },
    };
  }
  if (opts.pins.length > 0 || opts.insecure) return { rejectUnauthorized: false };
  if (opts.ca !== undefined) return { ca: opts.ca };
  return {};
}

const TLS_CODES = /CERT|SELF_SIGNED|VERIFY|ALTNAME|ISSUER|TLS|SSL|HANDSHAKE/i;

export function isTlsError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return (
    (typeof e?.code === "string" && TLS_CODES.test(e.code)) ||
    (typeof e?.message === "string" && /certificate|ssl|tls/i.test(e.message))
  );
}
