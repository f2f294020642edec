/**
 * The status page in a real headless Chromium (Debian's, driven by playwright-core): it renders,
 * updates without a reload, filters, paginates, and the XSS guest stays inert text.
 * Saves test-artifacts/status-page.png (and -dark.png, -mobile.png).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { silentLogger } from "../../src/log/logger.ts";
import { createDemoStatusSource, demoGuest } from "../../src/server/demo-status.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createServer, type RunningServer } from "../../src/server/server.ts";

const XSS = "<img src=x onerror=alert(1)>";
const artifacts = resolve(import.meta.dir, "../../test-artifacts");
const status = createDemoStatusSource({ guests: 320, mode: "cluster", now: Date.now() });
status.addGuest({ ...demoGuest(9000), key: "pve/9000", vmid: 9000, name: XSS });

let server: RunningServer;
let ctx: BrowserContext;
let page: Page;
let profile: string;
const dialogs: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = createServer({
    listen: "127.0.0.1:0",
    status,
    ready: () => [{ name: "config", ok: true, detail: "loaded" }],
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
  profile = mkdtempSync(join(tmpdir(), "pipam-chromium-"));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 1000 },
    timeout: 30_000,
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on(
    "request",
    (r) =>
      process.env.DEBUG_REQ && console.log("REQ", Date.now() % 100000, r.url(), r.headers()["hx-trigger"]),
  );
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // htmx logs an aborted request (a refresh superseded by a newer one, e.g. on a viewport
    // change) as an error: expected, not a problem. Real failures still show as other errors.
    if (/^htmx:(sendAbort|afterRequest)\b/.test(m.text())) return;
    if (m.type() === "error" || /Content.Security.Policy/i.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  // Every request goes to our own server: nothing from a CDN or elsewhere.
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url)) problems.push(`foreign request: ${r.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const rowNames = () => page.locator("#guests .gname").allTextContents();

describe("status page in Chromium", () => {
  test("renders the overview, guests and assets, with no CSP violation", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
    await expect(page.title()).resolves.toContain("leader");
    expect(await page.locator("#overview .stat").count()).toBeGreaterThan(5);
    expect(await page.locator("#guests tbody tr").count()).toBe(100);
    expect(await page.locator(".pager .cur").textContent()).toBe("1");
    // the stylesheet applied (cards have a border radius from style.css)
    const radius = await page
      .locator(".card")
      .first()
      .evaluate((el) => getComputedStyle(el).borderRadius);
    expect(radius).toBe("12px");
    await page.screenshot({ path: join(artifacts, "status-page.png") });
    await page.screenshot({
      path: join(artifacts, "status-page-tall.png"),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1440, height: 2200 },
    });
    expect(problems).toEqual([]);
  }, 30_000);

  test("a guest added to the status source appears without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { __noReload: number }).__noReload = 1;
    });
    expect(await rowNames()).not.toContain("aaa-new-guest");
    status.addGuest({ ...demoGuest(9001), key: "pve/9001", vmid: 9001, name: "aaa-new-guest" });
    await page.locator("#guests .gname", { hasText: "aaa-new-guest" }).waitFor({ timeout: 8000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
    expect(await rowNames()).toContain("aaa-new-guest");
    expect(await page.locator("#overview").textContent()).toContain("322");
  }, 30_000);

  test("the filter narrows the list server-side and keeps the URL shareable", async () => {
    await page.locator("#guest-q").fill("db1");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#guests .gname")].every((e) => e.textContent?.startsWith("db1")),
    );
    const names = await rowNames();
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(100);
    await page.waitForURL(/\?q=db1$/);
    // a live refresh keeps the filter
    await page.waitForTimeout(2500);
    expect((await rowNames()).every((n) => n.startsWith("db1"))).toBe(true);
    await page.locator("#guest-state").selectOption("failed");
    await page.waitForFunction(() => !document.querySelector("#guests tr.row-in-sync"));
    await page.locator("#guest-q").fill("");
    await page.locator("#guest-state").selectOption("all");
    await page.waitForFunction(() => document.querySelectorAll("#guests tbody tr").length === 100);
  }, 30_000);

  test("pagination swaps in the next page", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => "htmx" in window);
    const first = await rowNames();
    await page.locator(".pager a[rel=next]").click();
    await page.waitForFunction(() => document.querySelector(".pager .cur")?.textContent === "2");
    const second = await rowNames();
    expect(second).toHaveLength(100);
    expect(second.some((n) => first.includes(n))).toBe(false);
    await page.waitForURL(/page=2/);
  }, 30_000);

  test("the XSS guest is inert: shown as text, no image element, no dialog", async () => {
    await page.locator("#guest-q").fill("onerror");
    const cell = page.locator("#guests .gname", { hasText: "onerror" });
    await cell.waitFor();
    expect(await cell.textContent()).toBe(XSS);
    expect(await page.locator("#guests img").count()).toBe(0);
    await page.waitForTimeout(2500); // let a live refresh re-render it too
    expect(await page.locator("#guests img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  }, 30_000);

  test("a follower shows its view and links to the leader", async () => {
    status.update({
      node: {
        id: "2",
        role: "follower",
        leaderId: "1",
        leaderUrl: "http://127.0.0.1:1/",
        term: 7,
        commit: 9,
        applied: 9,
      },
    });
    const link = page.locator(".banner a.btn");
    await link.waitFor({ timeout: 8000 });
    expect(await link.getAttribute("href")).toBe("http://127.0.0.1:1/");
    expect(await page.locator(".banner").textContent()).toContain("follower");
    status.update({ node: { id: "1", role: "leader", leaderId: "1", term: 7, commit: 1204, applied: 1204 } });
  }, 30_000);

  test("dark mode and a narrow screen (screenshots)", async () => {
    await page.locator("#guest-q").fill("");
    await page.waitForFunction(() => document.querySelectorAll("#guests tbody tr").length === 100);
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe("rgb(15, 20, 26)");
    await page.screenshot({ path: join(artifacts, "status-page-dark.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "light" });
    expect(await page.locator("#guests thead").isVisible()).toBe(false);
    await page.screenshot({ path: join(artifacts, "status-page-mobile.png") });
    await page.locator("#guest-section").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, "status-page-mobile-guests.png") });
    expect(problems).toEqual([]);
  });

  test("live refresh pauses while the tab is hidden and resumes when shown", async () => {
    const polls: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes("/fragment/")) polls.push(r.url());
    };
    page.on("request", onRequest);
    try {
      await page.evaluate(() =>
        Object.defineProperty(document, "hidden", { value: true, configurable: true }),
      );
      await page.waitForTimeout(300); // a request already on its way may still go out
      polls.length = 0;
      await page.waitForTimeout(3000);
      expect(polls).toEqual([]);
      await page.evaluate(() =>
        Object.defineProperty(document, "hidden", { value: false, configurable: true }),
      );
      await page.waitForRequest((r) => r.url().includes("/fragment/"), { timeout: 5000 });
    } finally {
      page.off("request", onRequest);
    }
  }, 30_000);

  test("when the server goes away the live indicator says so (no reload, page kept)", async () => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    expect(await page.locator(".live-text").textContent()).toBe("live");
    await server.stop();
    await page.locator(".live.offline").waitFor({ timeout: 8000 });
    expect(await page.locator(".live-text").textContent()).toContain("offline");
    expect(await page.locator("#guests tbody tr").count()).toBe(100);
    problems.length = 0; // the failed refreshes log network errors, as expected here
  }, 30_000);
});
