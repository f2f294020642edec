/**
 * Three real RaftNodes talking over the real Connect transport on loopback: answers to a Step call
 * come back inline in its response (StepRequest.reply_inline), and a node that does not ask for
 * them (an older version in a rolling upgrade) still gets its answers as separate calls.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ConnectRouter } from "@connectrpc/connect";
import { RaftService } from "../../gen/pipam/v1/raft_pb.ts";
import { silentLogger } from "../../log/logger.ts";
import { type Entry, MemoryStorage, type Message } from "../core/index.ts";
import { compactSlice, createRaftNode, opaqueEntry, type RaftNode } from "../node.ts";
import { createPeerSender, type PeerSender } from "./peer-client.ts";
import { raftServiceImpl } from "./peer-service.ts";
import { rpcHandlers } from "./rpc-handlers.ts";

const SECRET = "s3cret";

interface Member {
  id: number;
  node: RaftNode;
  sender: PeerSender;
  server: ReturnType<typeof Bun.serve>;
  applied: string[];
  /** Step calls this member's server got, by whether the caller asked for inline answers. */
  calls: { inline: number; plain: number; snapshotChunks: number };
  storage: MemoryStorage;
}

let members: Member[] = [];
afterEach(() => {
  for (const m of members) {
    m.node.stop();
    m.sender.stop();
    m.server.stop(true);
  }
  members = [];
});

/** Nodes whose server answers 503 (as if unreachable). */
const down = new Set<number>();

/**
 * MemoryStorage whose flush (the fsync of unsynced writes) completes `delayMs` later; counts
 * flushes issued and completed.
 */
class SlowFlushStorage extends MemoryStorage {
  issued = 0;
  done = 0;
  constructor(
    conf: { voters: number[]; learners: number[] },
    private readonly delayMs: number,
  ) {
    super(conf);
  }
  override flush(cb: (err?: Error) => void): void {
    this.issued++;
    setTimeout(() => {
      this.done++;
      cb();
    }, this.delayMs);
  }
}

/** MemoryStorage that records each compaction as the number of entries it removed. */
class CompactionRecordingStorage extends MemoryStorage {
  removed: number[] = [];
  override compact(index: number): void {
    const first = this.firstIndex();
    super.compact(index);
    if (this.firstIndex() > first) this.removed.push(this.firstIndex() - first);
  }
}

async function cluster(
  inline: boolean[],
  opts: {
    snapshotEvery?: number;
    keepEntries?: number;
    asyncLeaderWrites?: boolean;
    flushDelayMs?: number;
  } = {},
): Promise<Member[]> {
  down.clear();
  const ids = inline.map((_, i) => i + 1);
  const servers = ids.map((id) => {
    const ref: { route?: (r: ConnectRouter) => void } = {};
    let handlers: ReturnType<typeof rpcHandlers> | undefined;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        if (down.has(id)) return new Response("down", { status: 503 });
        handlers ??= rpcHandlers((r) => ref.route?.(r));
        return handlers.get(new URL(req.url).pathname)?.(req) ?? new Response(null, { status: 404 });
      },
    });
    return { server, ref };
  });
  const urls = new Map(ids.map((id, i) => [id, `http://127.0.0.1:${servers[i]!.server.port}`]));
  const out: Member[] = ids.map((id, i) => {
    const applied: string[] = [];
    const calls = { inline: 0, plain: 0, snapshotChunks: 0 };
    let nodeRef: RaftNode | undefined;
    const sender = createPeerSender({
      secret: SECRET,
      logger: silentLogger,
      timeoutMs: 1000,
      ...(inline[i] ? { onReply: (msgs: Message[]) => nodeRef?.step(msgs) } : {}),
    });
    const storage =
      opts.flushDelayMs !== undefined
        ? new SlowFlushStorage({ voters: ids, learners: [] }, opts.flushDelayMs)
        : new CompactionRecordingStorage({ voters: ids, learners: [] });
    const { flushDelayMs: _, ...nodeOpts } = opts;
    const node = createRaftNode({
      id,
      storage,
      fsm: {
        apply: (e: Entry) => void applied.push(new TextDecoder().decode(e.data)),
        snapshot: () => new TextEncoder().encode(JSON.stringify(applied)),
        restore: (d) => void applied.splice(0, applied.length, ...JSON.parse(new TextDecoder().decode(d))),
      },
      sender,
      peers: urls,
      tickMs: 10,
      electionTick: 10,
      heartbeatTick: 1,
      rand: Math.random,
      logger: silentLogger,
      ...nodeOpts,
    });
    nodeRef = node;
    const impl = raftServiceImpl(node, SECRET);
    servers[i]!.ref.route = (r) =>
      r.service(RaftService, {
        step: (req, ctx) => {
          if (req.replyInline) calls.inline++;
          else calls.plain++;
          return impl.step!(req, ctx);
        },
        installSnapshot: (req, ctx) => {
          calls.snapshotChunks++;
          return impl.installSnapshot!(req, ctx);
        },
      });
    return { id, node, sender, server: servers[i]!.server, applied, calls, storage };
  });
  members = out;
  for (const m of out) m.node.start();
  return out;
}

async function leaderOf(ms: Member[]): Promise<Member> {
  for (let i = 0; i < 300; i++) {
    const l = ms.find((m) => m.node.isLeader());
    if (l) return l;
    await Bun.sleep(10);
  }
  throw new Error("no leader within 3 s");
}

async function untilAll(ms: Member[], n: number) {
  for (let i = 0; i < 300 && ms.some((m) => m.applied.filter((x) => x.startsWith("p")).length < n); i++)
    await Bun.sleep(10);
}

/** FSM entries this test proposed (the node's own tagged entries never reach the FSM). */
const proposed = (m: Member) => m.applied.filter((x) => x.startsWith("p"));

describe("raft node over the Connect transport", () => {
  test("answers travel inline: every proposal commits on all three nodes", async () => {
    const ms = await cluster([true, true, true]);
    const leader = await leaderOf(ms);
    const callsToLeader = () => leader.calls.inline + leader.calls.plain;
    const before = callsToLeader();
    for (let i = 0; i < 30; i++) await leader.node.propose(new TextEncoder().encode(`p${i}`));
    await untilAll(ms, 30);
    for (const m of ms) expect(proposed(m)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    // Every node asked for inline answers, so no Step call went out without it.
    for (const m of ms) expect(m.calls.plain).toBe(0);
    // Followers answered inline: they did not call the leader for their append responses (with
    // separate answers that is at least one call per follower per proposal, 60 here).
    expect(callsToLeader() - before).toBeLessThan(5);
  });

  test("mixed versions: a node that does not ask for inline answers still gets them", async () => {
    // Node 1 is the "old" one (no reply_inline); force it to lead so its answers matter most.
    const ms = await cluster([false, true, true]);
    let leader = await leaderOf(ms);
    if (leader.id !== 1) {
      leader.node.transferLeadership(1);
      for (let i = 0; i < 300 && !ms[0]!.node.isLeader(); i++) await Bun.sleep(10);
      leader = await leaderOf(ms);
    }
    expect(leader.id).toBe(1);
    for (let i = 0; i < 20; i++) await leader.node.propose(new TextEncoder().encode(`p${i}`));
    await untilAll(ms, 20);
    for (const m of ms) expect(proposed(m)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
    // The old leader's calls were plain, so followers answered with their own calls to it.
    expect(ms[1]!.calls.plain + ms[2]!.calls.plain).toBeGreaterThan(0);
    expect(leader.calls.plain + leader.calls.inline).toBeGreaterThan(0);
  });

  test("opaque benchmark entries commit but never reach the FSM", async () => {
    const ms = await cluster([true, true, true]);
    const leader = await leaderOf(ms);
    const before = leader.applied.length;
    const p = await leader.node.propose(opaqueEntry(new Uint8Array([1, 2, 3])));
    expect(p.index).toBeGreaterThan(0);
    expect(leader.applied.length).toBe(before);
  });

  test("a follower that fell behind the compacted log catches up from a snapshot sent in chunks", async () => {
    const ms = await cluster([true, true, true], { snapshotEvery: 20, keepEntries: 5 });
    let leader = await leaderOf(ms);
    if (leader.id === 3) {
      leader.node.transferLeadership(1);
      for (let i = 0; i < 300 && !ms[0]!.node.isLeader(); i++) await Bun.sleep(10);
      leader = await leaderOf(ms);
    }
    const lagging = ms[2]!;
    down.add(lagging.id);
    for (let i = 0; i < 60; i++) await leader.node.propose(new TextEncoder().encode(`p${i}`));
    expect(proposed(lagging).length).toBeLessThan(60);
    down.delete(lagging.id);
    await untilAll(ms, 60);
    expect(proposed(lagging)).toEqual(Array.from({ length: 60 }, (_, i) => `p${i}`));
    expect(lagging.calls.snapshotChunks).toBeGreaterThan(0);
  });

  test("the log is compacted a few entries per Ready, not in one large slice after each snapshot", async () => {
    // a snapshot every 500 entries keeping 20: each compaction has 480 entries to remove
    const ms = await cluster([true, true, true], { snapshotEvery: 500, keepEntries: 20 });
    const leader = await leaderOf(ms);
    for (let i = 0; i < 1100; i++) await leader.node.propose(new TextEncoder().encode(`p${i}`));
    await untilAll(ms, 1100);
    for (const m of ms) {
      const removed = (m.storage as CompactionRecordingStorage).removed;
      if (m === leader) {
        // one proposal at a time: one entry per Ready on the leader, so slices of the minimum
        expect(removed.length).toBeGreaterThan(20);
        expect(Math.max(...removed)).toBeLessThanOrEqual(compactSlice(1) + 1);
      } else {
        // a follower that fell behind for a moment gets several entries in one append (and
        // deletes twice as many), but not a whole compaction at once
        expect(removed.length).toBeGreaterThan(2);
        expect(Math.max(...removed)).toBeLessThan(480);
      }
      // and both compactions finished long before the next snapshot
      expect(m.storage.firstIndex()).toBeGreaterThanOrEqual(1000 - 20);
    }
  });

  test("asynchronous leader writes: two followers' answers commit before the leader's own fsync", async () => {
    const ms = await cluster([true, true, true], { asyncLeaderWrites: true, flushDelayMs: 400 });
    const leader = await leaderOf(ms);
    // let the election's entries become durable everywhere first
    await Bun.sleep(500);
    const st = leader.storage as SlowFlushStorage;
    const issued = st.issued;
    const done = st.done;
    await leader.node.propose(new TextEncoder().encode("p0"));
    // applied on the leader while its own write of p0 was still being fsynced
    expect(st.issued).toBeGreaterThan(issued);
    expect(st.done).toBe(done);
    await untilAll(ms, 1);
    for (const m of ms) expect(proposed(m)).toEqual(["p0"]);
  });

  test("asynchronous leader writes: with one follower down, the leader waits for its own fsync", async () => {
    const ms = await cluster([true, true, true], { asyncLeaderWrites: true, flushDelayMs: 200 });
    const leader = await leaderOf(ms);
    await Bun.sleep(300);
    const other = ms.find((m) => m !== leader)!;
    down.add(other.id);
    const st = leader.storage as SlowFlushStorage;
    const done = st.done;
    await leader.node.propose(new TextEncoder().encode("p1"));
    // one follower + the leader is the majority: the leader's fsync of p1 had to finish first
    expect(st.done).toBeGreaterThan(done);
    expect(proposed(leader)).toEqual(["p1"]);
  });
});
