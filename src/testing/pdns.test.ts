/** scripts/pdns.sh through src/testing/pdns.ts: side-by-side instances, restart keeps data, cleanup. */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { startPdns } from "./pdns.ts";

test("two instances side by side; kill -9 + restart keeps the data; stop removes the directory", async () => {
  const [a, b] = await Promise.all([startPdns(), startPdns()]);
  try {
    expect(a.apiPort).not.toBe(b.apiPort);
    expect(a.dnsPort).not.toBe(b.dnsPort);
    await a.createZone("keep.test.");
    await a.seed("keep.test.", { name: "x.keep.test.", type: "A", records: ["192.0.2.7"] });
    expect(await a.dig("x.keep.test.", "A")).toEqual(["192.0.2.7"]);
    expect((await b.api("GET", "/zones/keep.test.")).status).toBe(404);
    const conf = await Bun.file(`${a.dir}/pdns.conf`).text();
    expect(conf).toContain("default-api-rectify=no");

    await a.kill();
    expect(await fetch(`${a.url}/api/v1/servers/localhost`).catch(() => "down")).toBe("down");
    await a.restart();
    expect(await a.dig("x.keep.test.", "A")).toEqual(["192.0.2.7"]);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(existsSync(a.dir)).toBe(false);
  expect(existsSync(b.dir)).toBe(false);
}, 30_000);

test("a server whose starter dies without stopping it is stopped by the watcher", async () => {
  const helper = resolve(import.meta.dir, "pdns.ts");
  const child = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const p = await (await import(${JSON.stringify(helper)})).startPdns(); console.log(JSON.stringify({ url: p.url, dir: p.dir })); process.exit(0);`,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const out = await new Response(child.stdout).text();
  await child.exited;
  const { url, dir } = JSON.parse(out.trim().split("\n").pop()!) as { url: string; dir: string };
  let up = true;
  for (let i = 0; i < 60 && up; i++) {
    await Bun.sleep(100);
    up = await fetch(`${url}/api/v1/servers/localhost`).then(
      () => true,
      () => false,
    );
  }
  expect(up).toBe(false);
  await Bun.spawn(["bash", resolve(import.meta.dir, "../../scripts/pdns.sh"), "stop", dir]).exited;
}, 30_000);
