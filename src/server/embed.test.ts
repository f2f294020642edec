/**
 * Compiles src/server/embed-check.ts with `bun build --compile` (scripts/build.sh's flags) and
 * checks that the binary serves the embedded htmx, CSS, app.js and templates from a directory
 * with no web/ or node_modules/ in it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parsePrometheusText } from "./prom-text.ts";

const root = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "pipam-embed-"));
const bin = join(dir, "embed-check");
let proc: ReturnType<typeof Bun.spawn> | undefined;
let info: { url: string; embedded: string[] };

beforeAll(async () => {
  const build = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--format=esm",
      join(root, "src/server/embed-check.ts"),
      "--outfile",
      bin,
    ],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`bun build failed: ${build.stderr.toString()}`);
  proc = Bun.spawn([bin], { cwd: dir, stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let line = "";
  const deadline = Date.now() + 15_000;
  while (!line.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    line += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  info = JSON.parse(line.trim());
}, 120_000);

afterAll(async () => {
  proc?.kill("SIGTERM");
  await proc?.exited;
  rmSync(dir, { recursive: true, force: true });
});

test("the compiled binary serves embedded htmx, CSS and templates", async () => {
  expect(info.embedded.some((n) => n.startsWith("htmx.min"))).toBe(true);
  const page = await fetch(`${info.url}/?q=web`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('id="guest-section"');
  expect(html).toContain('<div class="gname">web1</div>');
  const v = /htmx\.min\.js\?v=([a-z0-9]+)/.exec(html)?.[1];
  expect(v).toBeDefined();
  const js = await fetch(`${info.url}/static/htmx.min.js?v=${v}`);
  expect(js.status).toBe(200);
  const want = readFileSync(join(root, "node_modules/htmx.org/dist/htmx.min.js"), "utf8");
  expect(await js.text()).toBe(want);
  const css = await (await fetch(`${info.url}/static/style.css`)).text();
  expect(css).toBe(readFileSync(join(root, "web/static/style.css"), "utf8"));
  const app = await (await fetch(`${info.url}/static/app.js`)).text();
  expect(app).toBe(readFileSync(join(root, "web/static/app.js"), "utf8"));
  const frag = await fetch(`${info.url}/fragment/overview`);
  expect(await frag.text()).toContain('id="overview"');
  const metrics = parsePrometheusText(await (await fetch(`${info.url}/metrics`)).text());
  expect(metrics.error).toBeUndefined();
  expect((await fetch(`${info.url}/healthz`)).status).toBe(200);
});
