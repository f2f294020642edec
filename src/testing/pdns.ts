/**
 * Test support: a throwaway PowerDNS (gsqlite3) on loopback, on free ports, started with
 * scripts/pdns.sh; helpers to create zones, seed records by hand (no pipam marker), read zones and
 * serials through the API, and query with `dig`. One server per test file: start it in beforeAll,
 * `stop()` it in afterAll (it also stops by itself when the test process dies).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const SCRIPT = resolve(import.meta.dir, "../../scripts/pdns.sh");

export interface SeedRRset {
  name: string;
  type: string;
  ttl?: number;
  records: string[];
  /** Comments to store with it (e.g. another tool's marker); none by default. */
  comments?: { content: string; account: string }[];
}

export interface TestPdns {
  /** http://127.0.0.1:<apiPort> (without /api/v1) */
  url: string;
  apiKey: string;
  apiPort: number;
  dnsPort: number;
  dir: string;
  pid(): number;
  /** A raw API call relative to /api/v1/servers/localhost. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: unknown }>;
  /** Create a Native zone (api_rectify off); returns its id. Throws if PowerDNS refuses. */
  createZone(name: string, opts?: { nameservers?: string[] }): Promise<string>;
  deleteZone(name: string): Promise<void>;
  /** PATCH REPLACE one rrset as a human would (no pipam marker unless given in comments). */
  seed(zone: string, rr: SeedRRset): Promise<void>;
  /** The zone as the API returns it (rrsets, serial, …). */
  zone(name: string): Promise<{
    serial: number;
    rrsets: {
      name: string;
      type: string;
      records: { content: string }[];
      comments: { content: string; account: string }[];
    }[];
  }>;
  serial(zone: string): Promise<number>;
  /** `dig @127.0.0.1 -p <dnsPort> +short name type`: the answers, sorted; [] for NXDOMAIN/NODATA. */
  dig(name: string, type: string): Promise<string[]>;
  /** kill -9 (simulates a crash / outage); `restart()` brings it back with the same data and ports. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

async function script(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<Record<string, string>> {
  const proc = Bun.spawn(["bash", SCRIPT, ...args], {
    env: { ...process.env, PDNS_WATCH_PID: String(process.pid), ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`scripts/pdns.sh ${args.join(" ")} failed (${code}): ${err.trim()}`);
  return parseEnv(out);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

export async function startPdns(opts: { extraConf?: string } = {}): Promise<TestPdns> {
  const extra: Record<string, string> = opts.extraConf ? { PDNS_EXTRA_CONF: opts.extraConf } : {};
  const env = await script(["start"], extra);
  const dir = env.PDNS_DIR!;
  let pid = Number(env.PDNS_PID);
  const apiKey = env.PDNS_API_KEY!;
  const url = env.PDNS_API_URL!;
  const base = `${url}/api/v1/servers/localhost`;
  const dnsPort = Number(env.PDNS_DNS_PORT);

  const api: TestPdns["api"] = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "X-API-Key": apiKey, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };
  const zonePath = (name: string) => `/zones/${encodeURIComponent(name)}`;

  const self: TestPdns = {
    url,
    apiKey,
    dir,
    dnsPort,
    apiPort: Number(env.PDNS_API_PORT),
    pid: () => pid,
    api,
    async createZone(name, o = {}) {
      const r = await api("POST", "/zones", {
        name,
        kind: "Native",
        nameservers: o.nameservers ?? [],
        api_rectify: false,
      });
      if (r.status !== 201) throw new Error(`create zone ${name}: HTTP ${r.status} ${r.text}`);
      return (r.json as { id: string }).id;
    },
    async deleteZone(name) {
      const r = await api("DELETE", zonePath(name));
      if (r.status !== 204 && r.status !== 404)
        throw new Error(`delete zone ${name}: HTTP ${r.status} ${r.text}`);
    },
    async seed(zone, rr) {
      const r = await api("PATCH", zonePath(zone), {
        rrsets: [
          {
            name: rr.name,
            type: rr.type,
            ttl: rr.ttl ?? 300,
            changetype: "REPLACE",
            records: rr.records.map((content) => ({ content, disabled: false })),
            ...(rr.comments ? { comments: rr.comments } : {}),
          },
        ],
      });
      if (r.status !== 204) throw new Error(`seed ${rr.name} ${rr.type}: HTTP ${r.status} ${r.text}`);
    },
    async zone(name) {
      const r = await api("GET", zonePath(name));
      if (r.status !== 200) throw new Error(`get zone ${name}: HTTP ${r.status} ${r.text}`);
      return r.json as Awaited<ReturnType<TestPdns["zone"]>>;
    },
    async serial(name) {
      return (await self.zone(name)).serial;
    },
    async dig(name, type) {
      const proc = Bun.spawn(
        ["dig", "@127.0.0.1", "-p", String(dnsPort), "+norec", "+short", "+time=2", "+tries=2", name, type],
        { stdout: "pipe", stderr: "pipe" },
      );
      const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      if (code !== 0) throw new Error(`dig ${name} ${type} failed (exit ${code})`);
      return out
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .sort();
    },
    async kill() {
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(20);
    },
    async restart() {
      const e = await script(["start", dir]);
      pid = Number(e.PDNS_PID);
    },
    async stop() {
      await script(["stop", dir]);
    },
  };
  return self;
}
