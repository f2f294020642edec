import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PipamError } from "../lib/errors.ts";
import {
  type ConfigIssue,
  checkConfig,
  deriveOwnerId,
  loadConfig,
  parseConfig,
  toProxmoxEndpoints,
} from "./index.ts";

const ORIGINAL = join(import.meta.dir, "testdata", "original.toml");

/** Fake file system for secret and CA files. */
const files =
  (map: Record<string, string>) =>
  (p: string): string => {
    const v = map[p];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    return v;
  };

const PVE = `
[proxmox]
url = "https://pve.example.com:8006"
user = "root"
realm = "pam"
token_id = "pipam"
token_uuid = "inline-uuid-0000"
`;

function issuesOf(
  text: string,
  env: Record<string, string> = {},
  fs: Record<string, string> = {},
): ConfigIssue[] {
  const r = checkConfig(text, "/etc/pipam/config.toml", env, { readFile: files(fs) });
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.issues;
}

function one(text: string, key: string, env: Record<string, string> = {}, fs: Record<string, string> = {}) {
  const found = issuesOf(text, env, fs).filter((i) => i.key === key);
  expect(found.map((i) => i.key)).toEqual([key]);
  return found[0] as ConfigIssue;
}

describe("the original pipam's documented config", () => {
  test("loads unchanged, with the original meanings", async () => {
    const cfg = await loadConfig(ORIGINAL, {});
    expect(cfg.collectIntervalMs).toBe(30_000);
    expect(cfg.fullReconcileIntervalMs).toBe(3_600_000);
    expect(cfg.skipCidrs).toEqual(["172.17.0.0/16", "fe80::/10"]);
    expect(cfg.proxmox).toHaveLength(1);
    const [p] = cfg.proxmox;
    expect(p?.name).toBe("default");
    expect(p?.url).toBe("https://pve.example.com:8006");
    expect(p?.tokenId).toBe("root@pam!pipam");
    expect(p?.secret).toBe("11111111-2222-3333-4444-555555555555");
    expect(p?.insecure).toBe(true);
    expect(cfg.dns?.zones).toEqual(["example.com."]);
    expect(cfg.dns?.powerdns?.url).toBe("http://127.0.0.1:8081");
    expect(cfg.dns?.powerdns?.apiKey).toBe("pdns-secret-key");
    expect(cfg.ipam?.netbox?.token).toBe("0123456789abcdef0123456789abcdef01234567");
    expect(cfg.ipam?.netbox?.cluster).toBe("pve");
    expect(cfg.raft).toMatchObject({ nodeId: 1, listenAddr: "10.0.0.11:9190", tickIntervalMs: 100 });
    expect(cfg.raft.peers).toEqual({
      1: "http://10.0.0.11:9190",
      2: "http://10.0.0.12:9190",
      3: "http://10.0.0.13:9190",
    });
    // mapping key without the trailing dot names the same zone as dns.zones
    expect(cfg.mapping).toEqual([{ zone: "example.com.", networks: ["10.0.0.0/16", "2001:db8::/48"] }]);
    expect(cfg.warnings.some((w) => w.includes("mapping zone"))).toBe(false);
  });

  test("defaults when only [proxmox] is given", () => {
    const cfg = parseConfig(PVE, "/c.toml", {});
    expect(cfg.collectIntervalMs).toBe(30_000);
    expect(cfg.fullReconcileIntervalMs).toBe(0);
    expect(cfg.raft.nodeId).toBe(0);
    expect(cfg.raft.tickIntervalMs).toBe(100);
    expect(cfg.server.listen).toBe("127.0.0.1:9180");
    expect(cfg.dns).toBeUndefined();
    expect(cfg.ipam).toBeUndefined();
    expect(cfg.proxmox[0]).toMatchObject({ insecure: false, timeoutMs: 10_000, concurrencyPerNode: 4 });
  });

  test("user@realm in user and a full token id are accepted too", () => {
    const cfg = parseConfig(
      PVE.replace('user = "root"', 'user = "monitor@pve"')
        .replace('realm = "pam"\n', "")
        .replace('token_id = "pipam"', 'token_id = "monitor@pve!inv"'),
      "/c.toml",
      {},
    );
    expect(cfg.proxmox[0]?.tokenId).toBe("monitor@pve!inv");
  });
});

describe("extensions", () => {
  const EXT = `
collect_interval = "1m30s"
full_reconcile_interval = "6h"

[[proxmox]]
name = "lab"
url = "https://lab.example.com:8006/api2/json/"
user = "pipam"
realm = "pve"
token_id = "inventory"
token_uuid_file = "secrets/lab.uuid"
fingerprint = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
timeout = "5s"
concurrency_per_node = 8

[[proxmox]]
name = "dc-2"
url = "https://dc2.example.com:8006"
user = "pipam@pve"
token_id = "inventory"
ca_file = "/etc/pipam/dc2-ca.pem"
timeout = 3

[dns]
zones = ["Example.com", "10.in-addr.arpa."]
ttl = 60
policy = "upsert-only"
owner_id = "pipam-lab"
ptr = true
create_zones = true
ignore_interfaces = ["lo", "docker*"]
tags = { ignore = "no-dns", require = "dns" }

[dns.powerdns]
url = "http://127.0.0.1:8081/"
api_key_file = "/etc/pipam/secrets/pdns"
server_id = "localhost"

[ipam.netbox]
url = "https://netbox.example.com"
token_file = "/etc/pipam/secrets/netbox"
tag = "proxmox"
adopt = true
policy = "create-only"

[server]
listen = "0.0.0.0:9180"
token_file = "/etc/pipam/secrets/server"

[raft]
node_id = 2
data_dir = "/srv/pipam"
tick_interval = "50ms"
secret_file = "/etc/pipam/secrets/raft"
admin_token_file = "/etc/pipam/secrets/admin"
peers = { 1 = "https://a:9190", 2 = "https://b:9190", 3 = "https://c:9190" }

[log]
level = "debug"
format = "json"
`;
  const FS = {
    "/etc/pipam/secrets/lab.uuid": "lab-uuid-1111\n",
    "/etc/pipam/dc2-ca.pem": "-----BEGIN CERTIFICATE-----\n",
    "/etc/pipam/secrets/pdns": "pdns-key-2222\n",
    "/etc/pipam/secrets/netbox": "netbox-token-3333",
    "/etc/pipam/secrets/server": "server-token-4444",
    "/etc/pipam/secrets/raft": "raft-secret-5555",
    "/etc/pipam/secrets/admin": "admin-token-6666",
  };
  const cfg = parseConfig(
    EXT,
    "/etc/pipam/config.toml",
    { PIPAM_PROXMOX_DC_2_TOKEN_UUID: "dc2-uuid-7777" },
    {
      readFile: files(FS),
    },
  );

  test("durations as strings and legacy numbers", () => {
    expect(cfg.collectIntervalMs).toBe(90_000);
    expect(cfg.fullReconcileIntervalMs).toBe(6 * 3_600_000);
    expect(cfg.raft.tickIntervalMs).toBe(50);
    expect(cfg.proxmox.map((p) => p.timeoutMs)).toEqual([5000, 3000]);
  });

  test("several clusters, relative secret file, TLS pinning and CA", () => {
    expect(toProxmoxEndpoints(cfg)).toEqual([
      {
        name: "lab",
        url: "https://lab.example.com:8006",
        tokenId: "pipam@pve!inventory",
        secret: "lab-uuid-1111",
        insecure: false,
        fingerprint:
          "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
        timeoutMs: 5000,
        concurrencyPerNode: 8,
      },
      {
        name: "dc-2",
        url: "https://dc2.example.com:8006",
        tokenId: "pipam@pve!inventory",
        secret: "dc2-uuid-7777",
        insecure: false,
        caFile: "/etc/pipam/dc2-ca.pem",
        timeoutMs: 3000,
        concurrencyPerNode: 4,
      },
    ]);
  });

  test("dns, ipam, server, raft and log extensions", () => {
    expect(cfg.dns).toEqual({
      provider: "powerdns",
      zones: ["example.com.", "10.in-addr.arpa."],
      ttl: 60,
      policy: "upsert-only",
      ownerId: "pipam-lab",
      ownerIdDerived: false,
      ptr: true,
      createZones: true,
      ignoreInterfaces: ["lo", "docker*"],
      tags: { ignore: "no-dns", require: "dns" },
      powerdns: {
        url: "http://127.0.0.1:8081",
        apiKey: "pdns-key-2222",
        serverId: "localhost",
        timeoutMs: 10_000,
      },
    });
    expect(cfg.ipam?.netbox).toEqual({
      url: "https://netbox.example.com",
      token: "netbox-token-3333",
      tag: "proxmox",
      adopt: true,
      policy: "create-only",
      timeoutMs: 10_000,
    });
    expect(cfg.server).toEqual({ listen: "0.0.0.0:9180", token: "server-token-4444" });
    expect(cfg.raft).toEqual({
      nodeId: 2,
      listenAddr: "b:9190",
      dataDir: "/srv/pipam",
      dataDirSet: true,
      tickIntervalMs: 50,
      peers: { 1: "https://a:9190", 2: "https://b:9190", 3: "https://c:9190" },
      join: false,
      secret: "raft-secret-5555",
      adminToken: "admin-token-6666",
    });
    expect(cfg.log).toEqual({ level: "debug", format: "json" });
    expect(cfg.warnings).toEqual([]);
  });

  test("raft.join: a bool, and a joining node needs the members in raft.peers", () => {
    const raft = (body: string) =>
      `${PVE}\n[raft]\nnode_id = 4\nlisten_addr = "d:9190"\nsecret = "s"\n${body}\n`;
    const c = parseConfig(raft(`join = true\npeers = { 1 = "http://a:9190", 4 = "http://d:9190" }`), "/c");
    expect(c.raft.join).toBe(true);
    expect(one(raft("join = 1"), "raft.join").message).toContain("true or false");
    expect(one(raft(`join = true\npeers = { 4 = "http://d:9190" }`), "raft.join").message).toBe(
      "a joining node needs the cluster's members in raft.peers (it has none but itself)",
    );
  });

  test("dns defaults, and the derived owner id", () => {
    const c = parseConfig(
      `${PVE}\n[dns]\nzones = ["example.com."]\n[dns.powerdns]\nurl = "http://p"\napi_key = "k"\n`,
      "/c",
      {},
    );
    expect(c.dns).toMatchObject({
      ttl: 300,
      policy: "sync",
      ptr: false,
      createZones: false,
      tags: { ignore: "pipam-ignore" },
    });
    expect(c.dns?.ignoreInterfaces).toContain("docker*");
    expect(c.dns?.ignoreInterfaces).toContain("veth*");
    expect(c.dns?.ownerIdDerived).toBe(true);
    expect(c.dns?.ownerId).toBe(deriveOwnerId(c.proxmox));
    expect(c.warnings.some((w) => w.includes("dns.owner_id is not set"))).toBe(true);
  });
});

describe("fingerprint", () => {
  test("any case, colons optional, several separated by commas", () => {
    const a = "ab".repeat(32);
    const b = `${"CD:".repeat(31)}CD`;
    const c = parseConfig(
      PVE.replace('token_id = "pipam"', `token_id = "pipam"\nfingerprint = "${a}, ${b}"`),
      "/c",
      {},
    );
    expect(c.proxmox[0]?.fingerprint).toBe(`${"AB:".repeat(31)}AB,${b}`);
  });
});

describe("deriveOwnerId", () => {
  test("stable, order-independent, and different for another cluster host", () => {
    const a = deriveOwnerId([
      { name: "a", url: "https://x:8006" },
      { name: "b", url: "https://y:8006" },
    ]);
    expect(a).toMatch(/^pipam-[0-9a-f]{12}$/);
    expect(
      deriveOwnerId([
        { name: "b", url: "https://y:8006" },
        { name: "a", url: "https://x:8006" },
      ]),
    ).toBe(a);
    expect(
      deriveOwnerId([
        { name: "a", url: "https://x:8006" },
        { name: "b", url: "https://z:8006" },
      ]),
    ).not.toBe(a);
  });
});

describe("errors name the key path and line", () => {
  test("TOML syntax error: line and column", () => {
    const [i] = issuesOf('collect_interval = 30\n[proxmox]\nurl = "x\n');
    expect(i?.line).toBe(3);
    expect(i?.message).toMatch(/^TOML syntax: .*column/);
  });

  test("wrong type", () => {
    const i = one(PVE.replace("token_uuid =", 'insecure = "yes"\ntoken_uuid ='), "proxmox.insecure");
    expect(i.line).toBe(7);
    expect(i.message).toBe('expected true or false, got the string "yes"');
  });

  test("missing required key points at its table", () => {
    const i = one(PVE.replace('url = "https://pve.example.com:8006"\n', ""), "proxmox.url");
    expect(i.line).toBe(2);
    expect(i.message).toMatch(/required key is missing/);
  });

  test("no proxmox at all", () => {
    const i = one("collect_interval = 30\n", "proxmox");
    expect(i.message).toMatch(/required key is missing.*\[proxmox\]/);
  });

  test("unknown key with a did-you-mean hint", () => {
    const i = one(
      PVE.replace("insecure", "x").replace('token_id = "pipam"', 'token_id = "pipam"\ninsecur = true'),
      "proxmox.insecur",
    );
    expect(i.line).toBe(7);
    expect(i.message).toBe('unknown key — did you mean "insecure"?');
    const top = one(`colect_interval = 30\n${PVE}`, "colect_interval");
    expect(top).toEqual({
      key: "colect_interval",
      line: 1,
      message: 'unknown key — did you mean "collect_interval"?',
    });
  });

  test("unknown key that belongs in another table says where", () => {
    const i = one(`node_id = 1\n${PVE}`, "node_id");
    expect(i.message).toBe("unknown key — it belongs in [raft]");
  });

  test("unknown table", () => {
    const i = one(`${PVE}\n[netbox]\nurl = "x"\n`, "netbox");
    expect(i.line).toBe(9);
  });

  test("bad enum, bad duration, bad number", () => {
    const text = `${PVE}\n[dns]\npolicy = "delete-all"\nttl = 0\nzones = ["example.com."]\n[dns.powerdns]\nurl = "http://x"\napi_key = "k"\n[raft]\ntick_interval = "fast"\n`;
    const all = issuesOf(text);
    expect(all.find((i) => i.key === "dns.policy")).toEqual({
      key: "dns.policy",
      line: 10,
      message: 'expected one of "sync", "upsert-only", "create-only", got the string "delete-all"',
    });
    expect(all.find((i) => i.key === "dns.ttl")).toEqual({
      key: "dns.ttl",
      line: 11,
      message: "must be at least 1",
    });
    expect(all.find((i) => i.key === "raft.tick_interval")?.line).toBe(17);
    expect(all.find((i) => i.key === "raft.tick_interval")?.message).toMatch(/invalid duration "fast"/);
  });

  test("bad CIDR in the second network of a multi-line array", () => {
    const text = `${PVE}\n[mapping."example.com"]\nnetworks = [\n  { cidr = "10.0.0.0/16" },\n  { cidr = "10.0.0.0/33" },\n]\n`;
    const i = one(text, 'mapping."example.com".networks[1].cidr');
    expect(i.line).toBe(12);
    expect(i.message).toMatch(/is not a CIDR/);
  });

  test("an empty user", () => {
    const i = one(PVE.replace('user = "root"', 'user = ""'), "proxmox.user");
    expect(i).toEqual({
      key: "proxmox.user",
      line: 4,
      message: "must name the token's user, e.g. pipam@pve",
    });
  });

  test("bad URL, bad fingerprint, bad token name", () => {
    const text = PVE.replace("https://pve.example.com:8006", "pve.example.com").replace(
      'token_id = "pipam"',
      'token_id = "9bad name"\nfingerprint = "12:34"',
    );
    const all = issuesOf(text);
    expect(all.map((i) => [i.key, i.line])).toEqual([
      ["proxmox.url", 3],
      ["proxmox.token_id", 6],
      ["proxmox.fingerprint", 7],
    ]);
  });

  test("[[proxmox]]: names required when several, and unique", () => {
    const block = (name: string) =>
      `[[proxmox]]\n${name}url = "https://a:8006"\nuser = "root"\ntoken_id = "tk"\ntoken_uuid = "u-123"\n`;
    const noName = issuesOf(block("") + block('name = "b"\n'));
    expect(noName.map((i) => [i.key, i.line])).toEqual([["proxmox[0].name", 1]]);
    const dup = issuesOf(block('name = "b"\n') + block('name = "b"\n'));
    expect(dup).toEqual([{ key: "proxmox[1].name", line: 8, message: 'duplicate cluster name "b"' }]);
  });

  test("every problem is listed, sorted by line", () => {
    const text = `colect_interval = 3\nskip_cidrs = ["nope"]\n${PVE.replace("pipam", "x y")}`;
    const r = checkConfig(text, "/c.toml", {});
    // schema problems are reported first; semantic ones once the schema passes
    expect(r.ok).toBe(false);
    const fixed = text.replace("colect_interval", "collect_interval");
    const all = issuesOf(fixed);
    expect(all.map((i) => i.key)).toEqual(["skip_cidrs[0]", "proxmox.token_id"]);
    expect(all.map((i) => i.line)).toEqual([2, 8]);
  });

  test("parseConfig throws one PipamError(config) listing path:line for each problem", () => {
    let err: unknown;
    try {
      parseConfig(
        `colect_interval = 3\n${PVE.replace("insecure", "")}\ninsecure = 1\n`,
        "/etc/pipam/config.toml",
        {},
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipamError);
    const pe = err as PipamError;
    expect(pe.code).toBe("config");
    expect(pe.message).toContain("/etc/pipam/config.toml:1: colect_interval: unknown key");
    expect(pe.message).toContain(
      "/etc/pipam/config.toml:10: proxmox.insecure: expected true or false, got number 1",
    );
    expect((pe.details.issues as unknown[]).length).toBe(2);
  });
});

describe("secrets: env var → file → inline", () => {
  const withFile = PVE.replace(
    'token_uuid = "inline-uuid-0000"',
    'token_uuid = "inline-uuid-0000"\ntoken_uuid_file = "/s/uuid"',
  );
  const fs = { "/s/uuid": "file-uuid-1111\n" };
  const secretOf = (text: string, env: Record<string, string>, f: Record<string, string> = fs) =>
    parseConfig(text, "/etc/pipam/config.toml", env, { readFile: files(f) }).proxmox[0]?.secret;

  test("proxmox token: env wins, then file (trimmed), then inline", () => {
    expect(secretOf(withFile, { PIPAM_PROXMOX_TOKEN_UUID: "env-uuid-2222" })).toBe("env-uuid-2222");
    expect(secretOf(withFile, { PIPAM_PROXMOX_DEFAULT_TOKEN_UUID: "env-uuid-3333" })).toBe("env-uuid-3333");
    expect(secretOf(withFile, {})).toBe("file-uuid-1111");
    expect(secretOf(PVE, {})).toBe("inline-uuid-0000");
    expect(secretOf(withFile, { PIPAM_PROXMOX_TOKEN_UUID: "" })).toBe("file-uuid-1111");
  });

  test("both file and inline set: a warning says the file is used", () => {
    const c = parseConfig(withFile, "/c", {}, { readFile: files(fs) });
    expect(c.warnings).toContain(
      "proxmox default: both token_uuid_file and token_uuid are set; token_uuid_file is used",
    );
  });

  test("named clusters read PIPAM_PROXMOX_<NAME>_TOKEN_UUID, not the unnamed variable", () => {
    const two = `[[proxmox]]\nname = "lab-1"\nurl = "https://a:8006"\nuser = "root"\ntoken_id = "tk"\n[[proxmox]]\nname = "b"\nurl = "https://b:8006"\nuser = "root"\ntoken_id = "tk"\ntoken_uuid = "b-inline"\n`;
    const c = parseConfig(two, "/c", {
      PIPAM_PROXMOX_LAB_1_TOKEN_UUID: "lab-env",
      PIPAM_PROXMOX_TOKEN_UUID: "ignored",
    });
    expect(c.proxmox.map((p) => p.secret)).toEqual(["lab-env", "b-inline"]);
    const missing = issuesOf(two, { PIPAM_PROXMOX_TOKEN_UUID: "ignored" });
    expect(missing).toEqual([
      {
        key: "proxmox[0].token_uuid",
        line: 1,
        message: "no API token secret: set token_uuid_file, or the env var PIPAM_PROXMOX_LAB_1_TOKEN_UUID",
      },
    ]);
  });

  test("dns, netbox, raft and server secrets from env", () => {
    const text = `${PVE}\n[dns]\nzones = ["example.com."]\n[dns.powerdns]\nurl = "http://p"\napi_key = "inline"\n[ipam.netbox]\nurl = "https://n"\ntoken_file = "/s/nb"\n[raft]\nsecret = "inline-raft"\n`;
    const c = parseConfig(
      text,
      "/c",
      {
        PIPAM_DNS_POWERDNS_API_KEY: "env-pdns",
        PIPAM_IPAM_NETBOX_TOKEN: "env-nb",
        PIPAM_RAFT_ADMIN_TOKEN: "env-admin",
        PIPAM_SERVER_TOKEN: "env-server",
      },
      { readFile: files({}) },
    );
    expect(c.dns?.powerdns?.apiKey).toBe("env-pdns");
    expect(c.ipam?.netbox?.token).toBe("env-nb");
    expect(c.raft.secret).toBe("inline-raft");
    expect(c.raft.adminToken).toBe("env-admin");
    expect(c.server.token).toBe("env-server");
  });

  test("missing and empty secret files: clear message at the *_file key", () => {
    const gone = one(withFile, "proxmox.token_uuid_file", {}, {});
    expect(gone.line).toBe(8);
    expect(gone.message).toBe("cannot read secret file /s/uuid: no such file");
    const empty = one(withFile, "proxmox.token_uuid_file", {}, { "/s/uuid": " \n" });
    expect(empty.message).toBe("secret file /s/uuid is empty");
  });

  test("a secret with a line break or control character inside is refused, naming where it came from", () => {
    const twoLines = one(withFile, "proxmox.token_uuid_file", {}, { "/s/uuid": "abc\nx-evil: 1\n" });
    expect(twoLines.message).toBe(
      "secret file /s/uuid has a line break inside the secret (position 4); a secret is a single line",
    );
    const nul = one(withFile, "proxmox.token_uuid_file", {}, { "/s/uuid": "ab\u0000c" });
    expect(nul.message).toContain("has control character 0x00 inside the secret (position 3)");
    const viaEnv = one(PVE, "proxmox.token_uuid_file", { PIPAM_PROXMOX_TOKEN_UUID: "a\rb" });
    expect(viaEnv.message).toContain("$PIPAM_PROXMOX_TOKEN_UUID has a line break inside the secret");
    const inline = one(PVE.replace("inline-uuid-0000", "in\\tline"), "proxmox.token_uuid");
    expect(inline.message).toContain("has control character 0x09 inside the secret");
  });

  test("no secret anywhere", () => {
    const i = one(PVE.replace('token_uuid = "inline-uuid-0000"\n', ""), "proxmox.token_uuid");
    expect(i.message).toBe(
      "no API token secret: set token_uuid_file, or the env var PIPAM_PROXMOX_DEFAULT_TOKEN_UUID or PIPAM_PROXMOX_TOKEN_UUID",
    );
  });

  test("secret file relative to the config file, read from disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pipam-config-"));
    tmp.push(dir);
    writeFileSync(join(dir, "uuid"), "disk-uuid-8888\n");
    writeFileSync(
      join(dir, "config.toml"),
      PVE.replace('token_uuid = "inline-uuid-0000"', 'token_uuid_file = "uuid"'),
    );
    chmodSync(join(dir, "uuid"), 0o640);
    const c = await loadConfig(join(dir, "config.toml"), {});
    expect(c.proxmox[0]?.secret).toBe("disk-uuid-8888");
    expect(c.warnings).toEqual([]);
    chmodSync(join(dir, "uuid"), 0o644);
    const open = await loadConfig(join(dir, "config.toml"), {});
    expect(open.warnings).toEqual([
      `proxmox default: secret file ${join(dir, "uuid")} is readable by every user (mode 0644); chmod 0640 it`,
    ]);
  });
});

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe("loadConfig", () => {
  test("a missing file is a config error naming the path", async () => {
    const err = await loadConfig("/nonexistent/pipam.toml", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipamError);
    expect((err as PipamError).code).toBe("config");
    expect((err as PipamError).message).toBe("cannot read config file /nonexistent/pipam.toml: no such file");
  });
});
