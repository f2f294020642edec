import { describe, expect, test } from "bun:test";
import { decodeConfChange } from "./raft.ts";
import type { RawNode } from "./raw-node.ts";
import { createRawNode } from "./raw-node.ts";
import { MemoryStorage } from "./storage.ts";
import type { Message } from "./types.ts";
import { NotLeaderError, ProposalDroppedError, RaftError } from "./types.ts";

const enc = new TextEncoder();

/** a small synchronous cluster: every Ready persisted, every message delivered */
function cluster(n: number) {
  const voters = [...Array(n).keys()].map((i) => i + 1);
  const nodes = voters.map((id) => {
    const storage = new MemoryStorage({ voters, learners: [] });
    return { id, storage, rn: createRawNode({ id, storage, rand: () => (id - 1) / 10 }) };
  });
  const settle = () => {
    for (let round = 0; round < 100; round++) {
      const msgs: Message[] = [];
      for (const x of nodes) {
        while (x.rn.hasReady()) {
          const rd = x.rn.ready();
          x.storage.persist(rd);
          msgs.push(...rd.messages);
          x.rn.advance(rd);
        }
      }
      if (msgs.length === 0) return;
      for (const m of msgs) nodes[m.to - 1]?.rn.step(m);
    }
  };
  const node = (id: number): RawNode => nodes[id - 1]!.rn;
  return { nodes, settle, node };
}

describe("RawNode", () => {
  test("a follower rejects proposals with NotLeaderError naming the leader", () => {
    const c = cluster(3);
    c.node(1).campaign();
    c.settle();
    const r = c.node(2).propose(enc.encode("x"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(NotLeaderError);
    expect((r.error as NotLeaderError).leader).toBe(1);
    expect(r.error.code).toBe("not_leader");
    expect(r.error.message).toBe("not leader, leader is 1");
  });

  test("before any election the leader is unknown", () => {
    const c = cluster(3);
    const r = c.node(1).propose(enc.encode("x"));
    expect(!r.ok && r.error.message).toBe("not leader, leader unknown");
  });

  test("propose returns the index and term to wait for", () => {
    const c = cluster(3);
    c.node(1).campaign();
    c.settle();
    const r = c.node(1).propose(enc.encode("x"));
    expect(r).toEqual({ ok: true, index: 2, term: 1 });
  });

  test("the Ready contract: entries and hard state come with mustSync", () => {
    const c = cluster(1);
    c.node(1).campaign();
    const rd = c.node(1).ready();
    expect(rd.mustSync).toBe(true);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 1 });
    expect(rd.entries.map((e) => e.index)).toEqual([1]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(rd.softState).toEqual({ leader: 1, role: "leader" });
    c.nodes[0]!.storage.persist(rd);
    c.node(1).advance(rd);
    expect(c.node(1).hasReady()).toBe(false);
    expect(c.node(1).status().applied).toBe(1);
  });

  test("proposals are dropped during a leadership transfer", () => {
    const c = cluster(3);
    c.node(1).campaign();
    c.settle();
    expect(c.node(1).transferLeadership(2)).toBeUndefined();
    const r = c.node(1).propose(enc.encode("x"));
    expect(!r.ok && r.error).toBeInstanceOf(ProposalDroppedError);
    c.settle();
    expect(c.node(2).status().role).toBe("leader");
    expect(c.node(1).status().leader).toBe(2);
  });

  test("membership changes are validated, one at a time, and carry the full membership", () => {
    const c = cluster(3);
    c.node(1).campaign();
    c.settle();
    const bad = c.node(1).proposeConfChange({ type: "promote", node: 9 });
    expect(!bad.ok && bad.error.message).toBe("conf change promote 9: not a learner");
    expect(!bad.ok && bad.error).toBeInstanceOf(RaftError);
    const self = c.node(1).proposeConfChange({ type: "remove", node: 1 });
    expect(!self.ok && self.error.message).toMatch(/transfer leadership first/);
    const ok = c.node(1).proposeConfChange({ type: "add-learner", node: 4 });
    expect(ok.ok).toBe(true);
    const again = c.node(1).proposeConfChange({ type: "add-learner", node: 5 });
    expect(!again.ok && again.error.message).toMatch(/still pending/);
    c.settle();
    const cc = c.nodes[0]!.storage.entries(2, 3)[0]!;
    expect(cc.type).toBe("conf-change");
    expect(decodeConfChange(cc.data)).toEqual({
      type: "add-learner",
      node: 4,
      confState: { voters: [1, 2, 3], learners: [4] },
    });
    expect(c.node(2).appliedConfState()).toEqual({ voters: [1, 2, 3], learners: [4] });
  });

  test("status reports progress and last contact on the leader", () => {
    const c = cluster(3);
    c.node(1).campaign();
    c.settle();
    c.node(1).tick();
    c.settle();
    const st = c.node(1).status();
    expect(st.role).toBe("leader");
    expect(st.progress.get(2)).toMatchObject({ match: 1, next: 2, state: "replicate", lastContactTicks: 0 });
    expect(c.node(1).hasQuorumLease()).toBe(true);
    for (let i = 0; i < 10; i++) c.node(1).tick(); // no deliveries: contact ages
    expect(c.node(1).status().progress.get(2)?.lastContactTicks).toBe(10);
    expect(c.node(1).hasQuorumLease()).toBe(false);
    expect(c.node(2).hasQuorumLease()).toBe(false);
  });

  test("bad options are refused", () => {
    const storage = new MemoryStorage();
    expect(() => createRawNode({ id: 0, storage, rand: Math.random })).toThrow(/positive integer/);
    expect(() =>
      createRawNode({ id: 1, storage, rand: Math.random, electionTick: 1, heartbeatTick: 1 }),
    ).toThrow(/electionTick must be greater/);
  });
});

describe("asyncLocalAppend: the leader counts its own entries once they are durable", () => {
  /** 3 nodes with the option; messages are delivered by hand so the test controls the order */
  function setup() {
    const voters = [1, 2, 3];
    const nodes = voters.map((id) => {
      const storage = new MemoryStorage({ voters, learners: [] });
      const rn = createRawNode({ id, storage, rand: () => (id - 1) / 10, asyncLocalAppend: true });
      return { id, storage, rn };
    });
    const inbox: Message[] = [];
    /** one Ready per node; returns the leader's entries written this round */
    const round = (opts: { ackLeader: boolean; deliverTo?: number[] }) => {
      for (const x of nodes) {
        while (x.rn.hasReady()) {
          const rd = x.rn.ready();
          x.storage.persist(rd);
          inbox.push(...rd.messages);
          x.rn.advance(rd);
          const last = rd.entries[rd.entries.length - 1];
          // followers (and any non-leader Ready) are durable at once; the leader only when told
          if (last && (opts.ackLeader || x.rn.status().role !== "leader"))
            x.rn.localAppendDurable(last.index, last.term);
        }
      }
      const msgs = inbox.splice(0);
      for (const m of msgs) {
        if (opts.deliverTo && !opts.deliverTo.includes(m.to)) continue;
        nodes[m.to - 1]!.rn.step(m);
      }
      return msgs.length;
    };
    const settle = (opts: { ackLeader: boolean; deliverTo?: number[] }) => {
      for (let i = 0; i < 50 && round(opts) > 0; i++);
    };
    return { nodes, round, settle, node: (id: number) => nodes[id - 1]!.rn };
  }

  test("one follower's ack is not enough while the leader's own write is not durable", () => {
    const c = setup();
    c.node(1).campaign();
    c.settle({ ackLeader: true });
    expect(c.node(1).status().role).toBe("leader");
    const commit0 = c.node(1).status().commit;
    const p = c.node(1).propose(enc.encode("x"));
    if (!p.ok) throw p.error;
    // only node 2 hears about it (node 3 is cut off); the leader never reports its write durable
    c.settle({ ackLeader: false, deliverTo: [1, 2] });
    expect(c.node(1).status().commit).toBe(commit0);
    // the leader's write becomes durable: leader + node 2 are a majority
    c.node(1).localAppendDurable(p.index, p.term);
    expect(c.node(1).status().commit).toBe(p.index);
  });

  test("two followers' acks commit without the leader's own write", () => {
    const c = setup();
    c.node(1).campaign();
    c.settle({ ackLeader: true });
    const p = c.node(1).propose(enc.encode("y"));
    if (!p.ok) throw p.error;
    c.settle({ ackLeader: false });
    expect(c.node(1).status().commit).toBe(p.index);
  });

  test("an ack for an entry that was replaced, or on a follower, changes nothing", () => {
    const c = setup();
    c.node(1).campaign();
    c.settle({ ackLeader: true });
    const p = c.node(1).propose(enc.encode("z"));
    if (!p.ok) throw p.error;
    const before = c.node(1).status().commit;
    c.node(1).localAppendDurable(p.index, p.term + 1); // wrong term
    c.node(1).localAppendDurable(p.index + 5, p.term); // beyond the log
    c.node(2).localAppendDurable(p.index, p.term); // not the leader
    expect(c.node(1).status().commit).toBe(before);
  });
});
