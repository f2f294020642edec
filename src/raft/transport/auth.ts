/**
 * Peer and admin authentication: a bearer credential in the `authorization` header, compared in
 * constant time. Peers share the cluster secret ([raft] secret_file); admin calls carry the admin
 * token ([raft] admin_token_file).
 */
import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export function bearerInterceptor(secret: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${secret}`);
    return next(req);
  };
}

export function checkBearer(header: string | null, secret: string | undefined, what: string): void {
  if (!secret)
    throw new ConnectError(`${what}: no credential configured on this node`, Code.PermissionDenied);
  const m = /^Bearer (.+)$/.exec(header ?? "");
  const given = Buffer.from(m?.[1] ?? "");
  const want = Buffer.from(secret);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new ConnectError(`${what}: missing or wrong credential`, Code.Unauthenticated);
  }
}
