/**
 * @module Parses `[server] listen`: "host:port", "[v6]:port" or ":port" (loopback). Pure; returns
 * a result with an error naming the bad value instead of throwing.
 */
export interface ListenAddress {
  hostname: string;
  port: number;
}

export const DEFAULT_LISTEN = "127.0.0.1:9180";

export function parseListen(value: string): { addr?: ListenAddress; error?: string } {
  const v = value.trim();
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(v);
  if (!m)
    return { error: `server.listen: expected "host:port" or "[ipv6]:port", got ${JSON.stringify(value)}` };
  const port = Number(m[3]);
  if (port > 65535) return { error: `server.listen: port ${port} is out of range (0-65535)` };
  const hostname = m[1] ?? (m[2] || "127.0.0.1");
  return { addr: { hostname, port } };
}
