/**
 * Membership and leadership through the CLI (`pipam member …`, `pipam move-leader`) against three
 * compiled binaries on loopback plus a fourth that joins, with the Proxmox simulator and a real
 * PowerDNS (checked with `dig`). Commands are run against followers on purpose: they must find
 * the leader themselves.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ProxmoxSim, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./cluster-support/binary.ts";
import { type Cluster, type ClusterNode, startCluster } from "./cluster-support/cluster.ts";
import { clusterScenario, NETWORKS, vm, ZONE } from "./cluster-support/scenario.ts";
import { waitFor } from "./cluster-support/wait.ts";

let pdns: TestPdns;
let sim: ProxmoxSim;
let cluster: Cluster;

beforeAll(async () => {
  const [bin, p, s] = await Promise.all([pipamBinary(), startPdns(), startProxmoxSim(clusterScenario(3))]);
  pdns = p;
  sim = s;
  await pdns.createZone(ZONE);
  cluster = await startCluster({
    bin,
    sim,
    pdns,
    zone: ZONE,
    networks: NETWORKS,
    ownerId: "pipam-e2e-mem",
    spares: 1,
  });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([cluster?.stop(), pdns?.stop(), sim?.stop()]);
});

const digEquals = (name: string, want: string[], timeoutMs = 15_000) =>
  waitFor(
    `dig ${name}.${ZONE} A = ${want.join(",")}`,
    async () => {
      const got = await pdns.dig(`${name}.${ZONE}`, "A");
      if (JSON.stringify(got) === JSON.stringify(want)) return got;
      throw new Error(`got ${got.join(",") || "(none)"}`);
    },
    { timeoutMs, intervalMs: 100 },
  );

/** `pipam member list --json` asked of node `id`. */
async function members(id: number): Promise<{ id: number; role: string; url: string }[]> {
  const r = await cluster.cli(id, ["member", "list", "--json", "--server", cluster.node(id).url]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return (JSON.parse(r.stdout) as { members: { id: number; role: string; url: string }[] }).members;
}

const roles = (ms: { id: number; role: string }[]) => ms.map((m) => `${m.id}:${m.role}`).join(" ");

function followerOf(leader: ClusterNode): ClusterNode {
  return cluster.nodes.find((n) => n.running && n !== leader)!;
}

describe("pipam member / move-leader", () => {
  test("a fourth node joins through a follower, catches up, becomes a voter, takes the leadership and writes DNS", async () => {
    const { leader } = await cluster.waitLeader();
    for (let i = 1; i <= 3; i++) await digEquals(`g${i}`, [`10.0.1.${i}`]);
    const follower = followerOf(leader);
    const n4 = cluster.node(4);
    await n4.start();
    // joining (raft.join): it waits for the leader, with no membership of its own, and stays out
    // of elections — the cluster's leader and term do not move
    const term = Number((await leader.status()).term);
    await Bun.sleep(2500); // more than an election timeout (10–20 ticks of 100 ms)
    const waiting = await n4.status();
    expect([waiting.role, Number(waiting.leaderId), Number(waiting.term)]).toEqual(["follower", 0, 0]);
    // it knows the others' URLs from its config, but not yet as members
    expect(waiting.peers.map((p) => `${p.id}:${p.role}`)).toEqual([
      "1:unknown",
      "2:unknown",
      "3:unknown",
      "4:unknown",
    ]);
    expect(n4.log()).toContain("joining a running cluster: waiting for the leader to add this node");
    const still = await leader.status();
    expect([still.role, Number(still.term)]).toEqual(["leader", term]);

    const add = await cluster.cli(follower.id, ["member", "add", "4", n4.url, "--server", follower.url]);
    expect(add.code).toBe(0);
    expect(add.stderr).toContain(`node ${follower.id} is a follower; asking the leader, node ${leader.id}`);
    expect(add.stdout).toContain(`node 4 added (${n4.url}) and promoted to voter`);

    const after = await members(leader.id);
    expect(roles(after)).toBe(
      [1, 2, 3, 4].map((id) => `${id}:${id === leader.id ? "leader" : "voter"}`).join(" "),
    );
    expect(after.find((m) => m.id === 4)?.url).toBe(n4.url);
    // node 4 holds and has applied what the leader committed, and the inventory with it
    const commit = Number((await leader.status()).commitIndex);
    await waitFor(
      "node 4 to apply the leader's commit",
      async () => (Number((await n4.status()).appliedIndex) >= commit ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const entries = await n4.admin().listEntries({});
    expect(entries.entries.map((e) => e.name).sort()).toEqual(["g1", "g2", "g3"]);

    // the leadership moves to the new node, asked through a follower again
    const mv = await cluster.cli(follower.id, ["move-leader", "4", "--server", follower.url]);
    expect({ code: mv.code, stdout: mv.stdout }).toEqual({ code: 0, stdout: "leader is now 4\n" });
    const now = await cluster.waitLeader({ timeoutMs: 10_000 });
    expect(now.leader.id).toBe(4);

    // and the new node writes the next change to PowerDNS
    sim.mutate((s) => {
      s.guests.push(vm(110, "g10", "10.0.1.10/24"));
    });
    await digEquals("g10", ["10.0.1.10"]);
    await waitFor("node 4's own PowerDNS write", () => (n4.writes().length > 0 ? true : undefined), {
      timeoutMs: 5000,
    });
  }, 90_000);

  test("member remove: the removed node leaves the member list; the rest keep syncing", async () => {
    const { leader } = await cluster.waitLeader();
    const victim = followerOf(leader);
    const asker = cluster.nodes.find((n) => n.running && n !== leader && n !== victim)!;
    const rm = await cluster.cli(asker.id, ["member", "remove", String(victim.id), "--server", asker.url]);
    expect({ code: rm.code, stdout: rm.stdout }).toEqual({ code: 0, stdout: `node ${victim.id} removed\n` });
    const left = await members(leader.id);
    expect(left.map((m) => m.id)).not.toContain(victim.id);
    expect(left).toHaveLength(3);
    await victim.stop();

    sim.mutate((s) => {
      s.guests.push(vm(111, "g11", "10.0.1.11/24"));
    });
    await digEquals("g11", ["10.0.1.11"]);
  }, 60_000);

  test("refusals are clear and change nothing; a learner that cannot catch up stays a learner until removed", async () => {
    const { leader } = await cluster.waitLeader();
    const asker = followerOf(leader);
    const run = (args: string[]) => cluster.cli(asker.id, [...args, "--server", asker.url]);
    const before = roles(await members(leader.id));

    const voter = await run(["member", "add", String(leader.id), "http://127.0.0.1:9"]);
    expect(voter.code).toBe(1);
    expect(voter.stderr).toContain(`node ${leader.id} is already a voter`);
    const stranger = await run(["member", "remove", "9"]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("node 9 is not a member (members:");
    const nowhere = await run(["move-leader", "9"]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain("9 is not a voter");
    const self = await cluster.cli(leader.id, ["move-leader", String(leader.id), "--server", leader.url]);
    expect({ code: self.code, stdout: self.stdout }).toEqual({
      code: 0,
      stdout: `node ${leader.id} is already the leader\n`,
    });
    const usage = await run(["member", "add", "0", "http://127.0.0.1:9"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("expected a node id (a positive integer)");
    expect(roles(await members(leader.id))).toBe(before);

    // node 5 is added but never runs: it joins as a learner, cannot catch up, is not promoted
    const dead = await run(["member", "add", "5", "http://127.0.0.1:9", "--wait", "2s"]);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("node 5 joined as a learner but has not caught up within 2 s");
    expect(dead.stderr).not.toContain("caused by");
    expect((await members(leader.id)).find((m) => m.id === 5)?.role).toBe("learner");
    // the cluster still commits with a learner that is down
    sim.mutate((s) => {
      s.guests.push(vm(112, "g12", "10.0.1.12/24"));
    });
    await digEquals("g12", ["10.0.1.12"]);
    const rm = await run(["member", "remove", "5"]);
    expect(rm.code).toBe(0);
    expect(roles(await members(leader.id))).toBe(before);
  }, 60_000);
});
