/** @module Responses with the security headers every answer carries (CSP, nosniff, no framing). */

/** `default-src 'self'`, no inline script or style, no framing, no plugins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

export function respond(body: BodyInit | null, status: number, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

export function text(body: string, status = 200, extra: Record<string, string> = {}): Response {
  return respond(body, status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...extra,
  });
}

export function html(body: BodyInit, status = 200, extra: Record<string, string> = {}): Response {
  return respond(body, status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    ...extra,
  });
}
