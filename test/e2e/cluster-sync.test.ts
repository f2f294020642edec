/**
 * Cluster mode end to end with three compiled binaries on loopback, the Proxmox simulator and a
 * real PowerDNS (checked with `dig`): one leader is elected and is the only node that writes;
 * peer and admin calls without the right bearer credential are refused; leadership moves with
 * AdminService.TransferLeadership and `pipam status --json` shows it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { RaftService } from "../../src/gen/pipam/v1/raft_pb.ts";
import { bearerInterceptor } from "../../src/raft/transport/auth.ts";
import { type ProxmoxSim, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./cluster-support/binary.ts";
import { type Cluster, startCluster } from "./cluster-support/cluster.ts";
import { clusterScenario, NETWORKS, vm, ZONE } from "./cluster-support/scenario.ts";
import { sleep, waitFor } from "./cluster-support/wait.ts";

let pdns: TestPdns;
let sim: ProxmoxSim;
let cluster: Cluster;

beforeAll(async () => {
  const [bin, p, s] = await Promise.all([pipamBinary(), startPdns(), startProxmoxSim(clusterScenario(5))]);
  pdns = p;
  sim = s;
  await pdns.createZone(ZONE);
  cluster = await startCluster({ bin, sim, pdns, zone: ZONE, networks: NETWORKS, ownerId: "pipam-e2e-cl" });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([cluster?.stop(), pdns?.stop(), sim?.stop()]);
});

const digA = (name: string) => pdns.dig(`${name}.${ZONE}`, "A");
const digEquals = (name: string, want: string[], timeoutMs = 10_000) =>
  waitFor(
    `dig ${name}.${ZONE} A = ${want.join(",") || "(none)"}`,
    async () => {
      const got = await digA(name);
      if (JSON.stringify(got) === JSON.stringify(want)) return got;
      throw new Error(`got ${got.join(",") || "(none)"}`);
    },
    { timeoutMs, intervalMs: 100 },
  );

async function codeOf(p: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

describe("3-node cluster: steady sync", () => {
  test("one leader; records appear; only the leader writes to PowerDNS", async () => {
    const { leader, term } = await cluster.waitLeader();
    expect(term).toBeGreaterThan(0);
    for (let i = 1; i <= 5; i++) await digEquals(`g${i}`, [`10.0.1.${i}`]);
    const followers = cluster.nodes.filter((n) => n !== leader);
    expect(await leader.metric("pipam_changes_applied_total")).toBeGreaterThanOrEqual(5);
    for (const f of followers) {
      expect(await f.metric("pipam_changes_applied_total")).toBe(0);
      expect(f.writes()).toEqual([]);
    }
    expect(leader.writes().length).toBeGreaterThan(0);

    // One change: the zone serial moves, then stays put while every node keeps cycling.
    const serial0 = await pdns.serial(ZONE);
    const applied0 = await leader.metric("pipam_changes_applied_total");
    sim.mutate((s) => {
      s.guests.find((g) => g.vmid === 102)!.nics[0]!.ipv4 = ["10.0.2.2/24"];
    });
    sim.reboot(102);
    await digEquals("g2", ["10.0.2.2"]);
    const serial1 = await pdns.serial(ZONE);
    expect(serial1).not.toBe(serial0);
    await sleep(3000); // three collect cycles
    expect(await pdns.serial(ZONE)).toBe(serial1);
    expect(await leader.metric("pipam_changes_applied_total")).toBe(applied0 + 1);
    for (const f of followers) expect(await f.metric("pipam_changes_applied_total")).toBe(0);
    // every node has the replicated inventory
    for (const n of cluster.nodes) {
      const entries = await n.admin().listEntries({});
      expect(entries.entries.map((e) => e.name).sort()).toEqual(["g1", "g2", "g3", "g4", "g5"]);
    }
    // `pipam entries` on a follower: the replicated DNS state, g2 with its new address
    const f = followers[0]!;
    const r = await cluster.cli(f.id, ["entries", "--json", "--server", f.url]);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as { name: string; ips: string[]; dns: string }[];
    expect(listed.map((e) => [e.name, e.dns]).sort()).toEqual(
      ["g1", "g2", "g3", "g4", "g5"].map((n) => [n, "in-sync"]),
    );
    expect(listed.find((e) => e.name === "g2")!.ips).toContain("10.0.2.2");
    const one = await cluster.cli(f.id, ["entries", "g3", "--server", f.url]);
    expect(one.stdout.split("\n")[0]).toMatch(/^KEY\s+NAME\s+STATUS\s+IPS\s+DNS$/);
    expect(one.stdout.trim().split("\n").slice(1)).toEqual([
      expect.stringMatching(/\/103\s+g3\s+running\s+10\.0\.1\.3\s+in-sync$/),
    ]);
    const conf = await cluster.cli(leader.id, ["conflicts", "--json", "--server", leader.url]);
    expect([conf.code, JSON.parse(conf.stdout)]).toEqual([0, []]);
  }, 60_000);
});

describe("authentication", () => {
  test("peer Step and admin calls without or with a wrong bearer are refused; correct ones work", async () => {
    const n = cluster.node(2);
    const raft = (token?: string) =>
      createClient(
        RaftService,
        createConnectTransport({
          baseUrl: n.url,
          useBinaryFormat: true,
          interceptors: token ? [bearerInterceptor(token)] : [],
        }),
      );
    expect(await codeOf(raft().step({ messages: [] }))).toBe(Code.Unauthenticated);
    expect(await codeOf(raft("wrong-secret").step({ messages: [] }))).toBe(Code.Unauthenticated);
    expect(await codeOf(raft(cluster.adminToken).step({ messages: [] }))).toBe(Code.Unauthenticated);
    expect(await codeOf(raft(cluster.secret).step({ messages: [] }))).toBe("ok");

    const { AdminService } = await import("../../src/gen/pipam/v1/admin_pb.ts");
    const admin = (token?: string) =>
      createClient(
        AdminService,
        createConnectTransport({
          baseUrl: n.url,
          useBinaryFormat: true,
          interceptors: token ? [bearerInterceptor(token)] : [],
        }),
      );
    expect(await codeOf(admin().getStatus({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(admin("wrong-token").getStatus({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(admin(cluster.secret).getStatus({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(admin().transferLeadership({ toNodeId: 2n }))).toBe(Code.Unauthenticated);
    const st = await admin(cluster.adminToken).getStatus({});
    expect(Number(st.nodeId)).toBe(2);

    // plain HTTP (Connect JSON) without a credential: 401
    for (const path of ["/pipam.v1.AdminService/GetStatus", "/pipam.v1.RaftService/Step"]) {
      const res = await fetch(`${n.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(((await res.json()) as { code: string }).code).toBe("unauthenticated");
    }
  }, 30_000);
});

describe("admin", () => {
  test("TransferLeadership moves the leader; `pipam status --json` shows it; the new leader syncs", async () => {
    const { leader } = await cluster.waitLeader();
    const target = cluster.nodes.find((n) => n !== leader)!;
    const other = cluster.nodes.find((n) => n !== leader && n !== target)!;
    await leader.admin().transferLeadership({ toNodeId: BigInt(target.id) }, { timeoutMs: 5000 });
    const after = await cluster.waitLeader({ timeoutMs: 10_000 });
    expect(after.leader.id).toBe(target.id);

    const cli = await cluster.statusCli(target.id);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: "" });
    const doc = JSON.parse(cli.stdout) as {
      mode: string;
      nodeId: number;
      role: string;
      leaderId: number;
      term: number;
    };
    expect(doc).toMatchObject({ mode: "cluster", nodeId: target.id, role: "leader", leaderId: target.id });
    const cli2 = await cluster.statusCli(other.id);
    expect(cli2.code).toBe(0);
    expect(JSON.parse(cli2.stdout)).toMatchObject({
      nodeId: other.id,
      role: "follower",
      leaderId: target.id,
      term: doc.term,
    });

    // the new leader writes the next change
    const before = target.writes().length;
    sim.mutate((s) => {
      s.guests.push(vm(110, "g10", "10.0.1.10/24"));
    });
    await digEquals("g10", ["10.0.1.10"]);
    await waitFor(
      "the new leader's write in its log",
      () => (target.writes().length > before ? true : undefined),
      {
        timeoutMs: 5000,
      },
    );
  }, 60_000);
});
