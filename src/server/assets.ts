/**
 * @module Static assets embedded in the binary: htmx (as a file, from node_modules), the CSS and
 * the icon (as text). Each is served with a content hash as its version, so links can be cached.
 */
import { readFileSync } from "node:fs";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import appJs from "../../web/static/app.js" with { type: "text" };
import iconSvg from "../../web/static/favicon.svg" with { type: "text" };
import css from "../../web/static/style.css" with { type: "text" };

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  /** The body gzip-compressed once at load. */
  gzip: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Short content hash: the `?v=` of links and the ETag. */
  version: string;
}

function asset(body: Uint8Array<ArrayBuffer>, contentType: string): Asset {
  return { body, gzip: Bun.gzipSync(body), contentType, version: Bun.hash(body).toString(36) };
}

let cache: Map<string, Asset> | undefined;

/** Path → asset, loaded once (htmx is read from the embedded file on first use). */
export function loadAssets(): Map<string, Asset> {
  if (cache) return cache;
  const enc = new TextEncoder();
  cache = new Map([
    ["/static/htmx.min.js", asset(new Uint8Array(readFileSync(htmxPath)), "text/javascript; charset=utf-8")],
    ["/static/style.css", asset(enc.encode(css), "text/css; charset=utf-8")],
    ["/static/app.js", asset(enc.encode(appJs), "text/javascript; charset=utf-8")],
    ["/static/favicon.svg", asset(enc.encode(iconSvg), "image/svg+xml")],
  ]);
  return cache;
}
