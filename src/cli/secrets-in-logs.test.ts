/** No secret ever reaches the log: not from the config dumped at debug, not inside messages. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { configSecrets, loadConfig } from "../config/index.ts";
import { createLogger } from "../log/logger.ts";

const dir = mkdtempSync(join(tmpdir(), "pipam-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = {
  proxmoxInline: "px-inline-5e1c7a0b",
  proxmoxFile: "px-file-93d1f00d",
  pdnsEnv: "pdns-env-77aa11bb",
  netbox: "nb-inline-0c0ffee0",
  raft: "raft-file-deadbeef",
  admin: "admin-env-feedface",
  server: "srv-inline-b16b00b5",
};
writeFileSync(join(dir, "b.uuid"), `${S.proxmoxFile}\n`);
writeFileSync(join(dir, "raft.secret"), S.raft);
const cfgPath = join(dir, "config.toml");
writeFileSync(
  cfgPath,
  `
[[proxmox]]
name = "a"
url = "https://127.0.0.1:1"
user = "root"
token_id = "pipam"
token_uuid = "${S.proxmoxInline}"
[[proxmox]]
name = "b"
url = "https://127.0.0.1:2"
user = "root"
token_id = "pipam"
token_uuid_file = "b.uuid"
[dns]
zones = ["example.com."]
[dns.powerdns]
url = "http://127.0.0.1:3"
[ipam.netbox]
url = "http://127.0.0.1:4"
token = "${S.netbox}"
[server]
token = "${S.server}"
[raft]
secret_file = "raft.secret"
`,
);
const env = { PIPAM_DNS_POWERDNS_API_KEY: S.pdnsEnv, PIPAM_RAFT_ADMIN_TOKEN: S.admin };
const all = Object.values(S);

describe("secrets never printed", () => {
  test("the config logged at debug (text and JSON) shows no secret, nested or not", async () => {
    const cfg = await loadConfig(cfgPath, env);
    expect(configSecrets(cfg).sort()).toEqual([...all].sort()); // every secret was resolved
    for (const format of ["text", "json"] as const) {
      const lines: string[] = [];
      // no `secrets` option here: key-based redaction alone must hide them
      const log = createLogger({ level: "debug", format, write: (l) => lines.push(l) });
      log.debug("config loaded", { config: cfg, list: [cfg.proxmox], token: S.server });
      const out = lines.join("\n");
      expect(out).toContain("config loaded");
      expect(out).toContain("https://127.0.0.1:2");
      for (const s of all) expect(out).not.toContain(s);
    }
  });

  test("a secret inside a message or a free-form field is scrubbed when the logger knows it", async () => {
    const cfg = await loadConfig(cfgPath, env);
    const lines: string[] = [];
    const log = createLogger({
      level: "debug",
      format: "json",
      write: (l) => lines.push(l),
      secrets: configSecrets(cfg),
    });
    log.error(`request failed with header PVEAPIToken=root@pam!pipam=${S.proxmoxInline}`, {
      url: `http://x/?k=${S.pdnsEnv}`,
      err: new Error(`bad key ${S.netbox}`),
    });
    const out = lines.join("\n");
    expect(out).toContain("request failed");
    for (const s of all) expect(out).not.toContain(s);
  });

  test("the CLI at --log-level debug prints none of them (stdout or stderr)", async () => {
    const main = resolve(import.meta.dir, "../main.ts");
    for (const format of ["text", "json"]) {
      const proc = Bun.spawn(
        [process.execPath, main, "-c", cfgPath, "--log-level", "debug", "--log-format", format, "status"],
        {
          env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [o, e] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(e).toContain("config loaded");
      for (const s of all) {
        expect(o).not.toContain(s);
        expect(e).not.toContain(s);
      }
    }
  });
});
