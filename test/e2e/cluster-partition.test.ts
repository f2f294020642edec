/**
 * Network partition with three compiled binaries behind TCP fault proxies, the Proxmox simulator
 * and a real PowerDNS: the leader is cut from its peers → it loses its quorum lease, steps down and
 * writes nothing more to PowerDNS, while the majority elects a new leader that writes the next
 * change; after healing, the old leader rejoins as a follower without disturbing the new leader.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ProxmoxSim, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./cluster-support/binary.ts";
import { type Cluster, type ClusterNode, startCluster } from "./cluster-support/cluster.ts";
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

const digEquals = (name: string, want: string[], timeoutMs = 10_000) =>
  waitFor(
    `dig ${name}.${ZONE} A = ${want.join(",") || "(none)"}`,
    async () => {
      const got = await pdns.dig(`${name}.${ZONE}`, "A");
      if (JSON.stringify(got) === JSON.stringify(want)) return got;
      throw new Error(`got ${got.join(",") || "(none)"}`);
    },
    { timeoutMs, intervalMs: 50 },
  );

/** Times of "raft role … role=<role>" lines in a node's log. */
const roleChanges = (n: ClusterNode, role: string) =>
  n
    .log()
    .split("\n")
    .filter((l) => l.includes("raft role") && l.includes(` role=${role} `))
    .map((l) => Date.parse(l.split(" ")[0] ?? ""));

describe("partition the leader from its peers", () => {
  test("it stops writing and steps down; the majority takes over; healed, it rejoins as follower", async () => {
    const { leader: old, term: oldTerm } = await cluster.waitLeader();
    for (let i = 1; i <= 5; i++) await digEquals(`g${i}`, [`10.0.1.${i}`]);
    const rest = cluster.nodes.filter((n) => n !== old);
    const appliedBefore = await old.metric("pipam_changes_applied_total");
    expect(appliedBefore).toBeGreaterThan(0);

    const tPart = Date.now();
    cluster.partition(old.id);
    // a change at once, while the isolated node may still think it leads: the majority writes it
    sim.mutate((s) => {
      s.guests.find((g) => g.vmid === 103)!.nics[0]!.ipv4 = ["10.0.3.3/24"];
    });
    sim.reboot(103);
    const { leader: next, term } = await cluster.waitLeader({
      among: rest.map((n) => n.id),
      timeoutMs: 10_000,
    });
    const elected = Date.now() - tPart;
    expect(next.id).not.toBe(old.id);
    expect(term).toBeGreaterThan(oldTerm);

    // check-quorum: the isolated leader steps down by itself (it is still reachable directly)
    const down = await waitFor(
      `isolated node ${old.id} to step down`,
      async () => {
        const st = await old.status();
        return st.role !== "leader" ? st : undefined;
      },
      { timeoutMs: 5000, intervalMs: 50 },
    );
    const steppedDown = Date.now() - tPart;
    expect(Number(down.leaderId)).toBe(0);
    expect((await fetch(`${old.url}/readyz`)).status).toBe(503);

    // a second change once the old leader has stepped down
    sim.mutate((s) => {
      s.guests.push(vm(130, "split", "10.0.1.130/24"));
    });
    await digEquals("g3", ["10.0.3.3"]);
    await digEquals("split", ["10.0.1.130"]);
    await waitFor(
      "the new leader's write in its log",
      () => (next.writes().some((w) => w.at >= tPart) ? true : undefined),
      {
        timeoutMs: 5000,
      },
    );
    await sleep(2000); // two more collect cycles in which the isolated node could misbehave
    expect(old.writes().filter((w) => w.at >= tPart)).toEqual([]);
    expect(await old.metric("pipam_changes_applied_total")).toBe(appliedBefore);
    expect(await old.metric("pipam_raft_is_leader")).toBe(0);
    const stepDownAt = roleChanges(old, "follower").filter((t) => t >= tPart - 100);
    const electedAt = roleChanges(next, "leader").filter((t) => t >= tPart - 100);
    console.log(
      `partition: majority leader ${next.id} after ${elected} ms; isolated leader ${old.id} not leader after ${steppedDown} ms` +
        ` (log: stepped down ${stepDownAt.length ? stepDownAt[0]! - tPart : "?"} ms, new leader ${electedAt.length ? electedAt[0]! - tPart : "?"} ms)`,
    );

    // heal: the old leader follows the new one; pre-vote keeps it from disrupting the term
    cluster.heal(old.id);
    await waitFor(
      `node ${old.id} to rejoin as follower of ${next.id}`,
      async () => {
        const [st, lst] = await Promise.all([old.status(), next.status()]);
        if (
          st.role === "follower" &&
          Number(st.leaderId) === next.id &&
          st.term === lst.term &&
          st.appliedIndex >= lst.commitIndex
        )
          return st;
        throw new Error(
          `old: ${st.role} leader ${st.leaderId} term ${st.term} applied ${st.appliedIndex}; leader term ${lst.term} commit ${lst.commitIndex}`,
        );
      },
      { timeoutMs: 10_000 },
    );
    const after = await cluster.waitLeader();
    expect(after).toEqual({ leader: next, term });
    const names = (await old.admin().listEntries({})).entries.map((e) => e.name);
    expect(names).toContain("split");
    expect(old.writes().filter((w) => w.at >= tPart)).toEqual([]);
  }, 60_000);
});
