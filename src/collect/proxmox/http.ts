/**
 * Reading and judging one Proxmox HTTP response: bounded body (streamed, aborted past the cap),
 * strict UTF-8, JSON with a `data` key, and status codes mapped to PipamErrors with messages an
 * operator can act on. Proxmox puts its message in the reason phrase (always) and, from
 * libpve-http-server-perl 5.2.0 on, also in `body.message`; 401/595/596 have empty bodies.
 */
import { PipamError } from "../../lib/errors.ts";

export const MiB = 1024 * 1024;

export async function readBody(res: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const tooBig = () =>
    new PipamError("bad_response", `${what}: response body exceeds ${Math.round(maxBytes / MiB)} MiB`, {
      details: { maxBytes },
    });
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared)) {
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw tooBig();
    }
    return new Uint8Array(await res.arrayBuffer());
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PipamError("bad_response", `${what}: response body is not valid UTF-8`);
  }
}

function snippet(text: string): string {
  const s = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** Parses a 2xx body: JSON object with a `data` key; returns `data`. */
export function parseEnvelope(text: string, contentType: string | null, what: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const kind = /^\s*</.test(text) ? "an HTML/XML page" : "not JSON";
    throw new PipamError(
      "bad_response",
      `${what}: response is ${kind} (content-type ${contentType ?? "none"}), starts with ${snippet(text)}`,
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json) || !("data" in json)) {
    throw new PipamError("bad_response", `${what}: JSON response has no "data" key: ${snippet(text)}`);
  }
  return (json as { data: unknown }).data;
}

/** The permission a 403 on this path most likely lacks. */
export function permissionHint(path: string): string {
  if (path.includes("/agent/")) {
    return "the token needs VM.Monitor on /vms/<vmid> (PVE 7/8) or VM.GuestAgent.Audit (PVE 9; PVEAuditor includes it there); a PVE 8 role listing VM.Monitor silently loses it on upgrade to 9";
  }
  if (path.startsWith("/nodes/") && /\/(qemu|lxc)\//.test(path)) {
    return "the token needs VM.Audit on /vms/<vmid> (PVEAuditor); with privsep=1 grant the ACL to the token itself";
  }
  return "the token needs Sys.Audit on / for this call; with privsep=1 grant the ACL to the token itself";
}

/** Error for a non-2xx response. `message` is body.message when present (trailing newline trimmed). */
export function httpError(
  what: string,
  path: string,
  status: number,
  reason: string,
  body: string,
): PipamError {
  let message = "";
  try {
    const j = JSON.parse(body) as { message?: unknown; errors?: unknown };
    if (typeof j.message === "string") message = j.message.trim();
    else if (j.errors && typeof j.errors === "object") message = JSON.stringify(j.errors);
  } catch {
    // not JSON: the reason phrase is all there is
  }
  const text = message || reason.trim() || "(no message)";
  const details = { status, path };
  if (status === 401) {
    return new PipamError(
      "auth",
      `${what}: authentication failed (HTTP 401 ${text}): check token id and secret`,
      {
        details,
      },
    );
  }
  if (status === 403) {
    return new PipamError(
      "forbidden",
      `${what}: permission denied (HTTP 403 ${text}): ${permissionHint(path)}`,
      {
        details,
      },
    );
  }
  if (status === 595 || status === 596) {
    return new PipamError(
      "unavailable",
      `${what}: Proxmox could not reach the guest's node (HTTP ${status} ${text}); is the node online?`,
      { transient: true, details },
    );
  }
  if (status === 404 || status === 501) {
    return new PipamError("not_found", `${what}: HTTP ${status} ${text}`, { details });
  }
  if (status >= 500) {
    return new PipamError("unavailable", `${what}: HTTP ${status} ${text}`, { transient: true, details });
  }
  return new PipamError("rejected", `${what}: HTTP ${status} ${text}`, { details });
}
