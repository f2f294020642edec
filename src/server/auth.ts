/**
 * @module Optional token check for the web page and ops endpoints. A request is authorised by
 * `Authorization: Bearer <token>`, `?token=<token>` (the page then sets a cookie and redirects to
 * drop it from the URL), or that cookie, which holds a hash of the token, never the token.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export const COOKIE = "pipam_session";

export interface TokenCheck {
  /** "none" when no token is configured; "ok"; "query" = valid `?token=` (set the cookie); "denied". */
  check(req: Request, url: URL): "none" | "ok" | "query" | "denied";
  /** `Set-Cookie` value for a valid token. */
  cookie(secure: boolean): string;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function createTokenCheck(token: string | undefined): TokenCheck {
  if (!token) return { check: () => "none", cookie: () => "" };
  const want = digest(token);
  const session = digest(`pipam-session\0${token}`).toString("hex");
  const wantSession = digest(session);
  return {
    check(req, url) {
      const auth = req.headers.get("authorization");
      if (auth?.toLowerCase().startsWith("bearer ") && same(digest(auth.slice(7).trim()), want)) return "ok";
      const c = readCookie(req.headers.get("cookie"), COOKIE);
      if (c && same(digest(c), wantSession)) return "ok";
      const q = url.searchParams.get("token");
      if (q !== null && same(digest(q), want)) return "query";
      return "denied";
    },
    cookie: (secure) =>
      `${COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000${secure ? "; Secure" : ""}`,
  };
}
