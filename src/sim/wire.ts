/** Wire helpers of the simulator: answers with Proxmox reason phrases, huge bodies, token parsing. */
import type { ServerResponse } from "node:http";

/** `PVEAPIToken=user@realm!name=secret` as pve-http-server reads it (value up to `;`, split at the last `=`). */
export function apiToken(header: string | undefined): { tokenId: string; secret: string } | undefined {
  const m = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/.exec(header ?? "");
  if (!m?.[1]) return undefined;
  let v: string;
  try {
    v = decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
  const eq = v.lastIndexOf("=");
  return eq < 0 ? undefined : { tokenId: v.slice(0, eq), secret: v.slice(eq + 1) };
}

/** One complete answer; `reason` becomes the HTTP reason phrase (where Proxmox puts its message). */
export function send(
  res: ServerResponse,
  status: number,
  reason: string | undefined,
  body: string | Uint8Array,
  type = "application/json;charset=UTF-8",
): void {
  const headers: Record<string, string | number> = {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
  };
  if (reason !== undefined) res.writeHead(status, reason, headers);
  else res.writeHead(status, headers);
  res.end(body);
}

/** A 200 whose JSON-looking body is `bytes` long, streamed with backpressure; stops when the client goes away. */
export async function streamHuge(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, "OK", { "content-type": "application/json;charset=UTF-8" });
  const chunk = Buffer.alloc(1024 * 1024, "x");
  let sent = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  res.on("close", () => {
    closed = true;
    wake?.();
  });
  res.on("drain", () => wake?.());
  res.write('{"data":"');
  while (sent < bytes && !closed) {
    const n = Math.min(chunk.length, bytes - sent);
    sent += n;
    if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
  }
  if (!closed) res.end('"}');
}
