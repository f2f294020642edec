/**
 * Cluster failover with three compiled binaries, the Proxmox simulator and a real PowerDNS: kill -9
 * the leader while a guest is added → a new leader is elected and the guest lands in DNS; the old
 * leader restarts from its data_dir and rejoins as a follower. A follower whose data_dir is wiped
 * catches up with the leader (applied index and entries).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ProxmoxSim, startProxmoxSim } from "../../src/sim/index.ts";
import { startPdns, type TestPdns } from "../../src/testing/pdns.ts";
import { pipamBinary } from "./cluster-support/binary.ts";
import { type Cluster, startCluster } from "./cluster-support/cluster.ts";
import { clusterScenario, NETWORKS, vm, ZONE } from "./cluster-support/scenario.ts";
import { waitFor } from "./cluster-support/wait.ts";

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

describe("kill -9 the leader", () => {
  test("a new leader reconciles the change made during the failover; the old leader rejoins as follower", async () => {
    const { leader: old, term: oldTerm } = await cluster.waitLeader();
    for (let i = 1; i <= 5; i++) await digEquals(`g${i}`, [`10.0.1.${i}`]);
    const rest = cluster.nodes.filter((n) => n !== old).map((n) => n.id);

    const t0 = performance.now();
    await old.kill9();
    // a guest added during the failover
    sim.mutate((s) => {
      s.guests.push(vm(120, "failover", "10.0.1.120/24"));
    });
    const { leader: next, term } = await cluster.waitLeader({ among: rest, timeoutMs: 10_000 });
    const elected = performance.now() - t0;
    expect(next.id).not.toBe(old.id);
    expect(term).toBeGreaterThan(oldTerm);
    await digEquals("failover", ["10.0.1.120"]);
    const landed = performance.now() - t0;
    console.log(
      `failover: new leader ${next.id} after ${elected.toFixed(0)} ms; change in DNS after ${landed.toFixed(0)} ms`,
    );
    expect(elected).toBeLessThan(5000);
    expect(next.writes().length).toBeGreaterThan(0);
    // nothing lost or duplicated: the earlier records are intact
    for (let i = 1; i <= 5; i++) expect(await pdns.dig(`g${i}.${ZONE}`, "A")).toEqual([`10.0.1.${i}`]);

    // the old leader restarts from its data_dir and follows
    await old.start();
    await waitFor(
      `node ${old.id} to rejoin as follower of ${next.id}`,
      async () => {
        const [st, lst] = await Promise.all([old.status(), next.status()]);
        if (
          st.role === "follower" &&
          Number(st.leaderId) === next.id &&
          st.term === lst.term &&
          lst.role === "leader"
        )
          return st;
        throw new Error(`old: ${st.role} leader ${st.leaderId} term ${st.term}; leader term ${lst.term}`);
      },
      { timeoutMs: 10_000 },
    );
    // and it catches up with what was committed while it was down
    await waitFor(
      `node ${old.id} to apply up to the leader's commit`,
      async () => {
        const [st, lst] = await Promise.all([old.status(), next.status()]);
        return st.appliedIndex >= lst.commitIndex ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const names = (await old.admin().listEntries({})).entries.map((e) => e.name);
    expect(names).toContain("failover");
    // the rejoin did not disturb the leader
    expect((await cluster.waitLeader()).leader.id).toBe(next.id);
  }, 60_000);
});

describe("wipe a follower's data_dir", () => {
  // TODO(src/raft/core/progress.ts maybeDecrTo): the leader never lowers `next` below its old
  // `match` for the follower, so a follower that lost its log rejects every append forever and
  // stays at applied 0. Turn back into `test` once the leader resets progress on such a reject.
  test("it restarts empty and catches up with the leader", async () => {
    const { leader } = await cluster.waitLeader();
    const f = cluster.nodes.find((n) => n !== leader)!;
    await f.stop();
    f.wipe();
    // a change while it is away
    sim.mutate((s) => {
      s.guests.push(vm(121, "wiped", "10.0.1.121/24"));
    });
    await digEquals("wiped", ["10.0.1.121"]);
    await f.start();
    const caught = await waitFor(
      `wiped node ${f.id} to apply up to the leader's commit`,
      async () => {
        const [st, lst] = await Promise.all([f.status(), leader.status()]);
        if (st.role === "follower" && Number(st.leaderId) === leader.id && st.appliedIndex >= lst.commitIndex)
          return st;
        throw new Error(`follower applied ${st.appliedIndex} (${st.role}); leader commit ${lst.commitIndex}`);
      },
      { timeoutMs: 15_000 },
    );
    expect(Number(caught.appliedIndex)).toBeGreaterThan(0);
    const want = (await leader.admin().listEntries({})).entries.map((e) => e.name).sort();
    const got = (await f.admin().listEntries({})).entries.map((e) => e.name).sort();
    expect(got).toEqual(want);
    expect(got).toContain("wiped");
    expect(got).toContain("g1");
    // its status page lists the guests too
    const page = await (await fetch(`${f.url}/`)).text();
    expect(page).toContain("wiped");
  }, 60_000);
});
