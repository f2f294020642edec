/**
 * Deterministic Raft simulator: N nodes on a seeded, lossy, reordering, duplicating, partitionable
 * network with crashes (unpersisted state is lost), restarts, compaction, membership changes and
 * leadership transfers. Invariants are checked after every step; liveness after the faults heal.
 */
import type { ConfState, Entry, LogStorage, Message, RaftOptions, RawNode, Ready } from "../core/index.ts";
import { createRawNode, decodeConfChange, MemoryStorage } from "../core/index.ts";
import { createPrng, fnv } from "./prng.ts";

export interface SimOptions {
  seed: number;
  /** initial voters (3 or 5) */
  nodes: number;
  /** fault/normal steps before healing */
  steps: number;
  /** message loss, duplication probabilities; max extra delay in ticks */
  loss?: number;
  dup?: number;
  maxDelay?: number;
  /** turn fault injection off (plain network) */
  faults?: boolean;
  /** each node's stable storage (default MemoryStorage); `conf` is the bootstrap membership, absent for joiners */
  storage?: (id: number, conf: ConfState | undefined) => LogStorage;
  /** bytes per append message (default 4096; 1 → one entry per message) */
  maxSizePerMsg?: number;
  /** broken core variants, to prove the checks bite */
  unsafe?: RaftOptions["unsafe"];
  /**
   * The leader's appends are written without waiting for the fsync, which completes 0–5 ticks
   * later (RaftOptions.asyncLocalAppend); a crash loses what was not yet durable. Default: on for
   * half the seeds (seed / 2 odd), independent of the lazy-commit half.
   */
  asyncLocalAppend?: boolean;
  /** ticks allowed for liveness after healing */
  livenessTicks?: number;
  trace?: boolean;
}

export interface SimResult {
  ok: boolean;
  violation?: string;
  repro: string;
  stats: {
    steps: number;
    ticks: number;
    proposals: number;
    acked: number;
    leaders: number;
    crashes: number;
    partitions: number;
    confChanges: number;
    transfers: number;
    snapshotsSent: number;
    compactions: number;
    dropped: number;
    duplicated: number;
    /** steps at which some leader held the quorum lease */
    leaseSteps: number;
  };
  trace: string[];
}

class Violation extends Error {}

interface SimNode {
  id: number;
  rn: RawNode | undefined;
  storage: LogStorage;
  /** volatile state machine: applied index and chained hash */
  smIndex: number;
  smHash: number;
  removed: boolean;
  /** the log is durable up to here; the rest (the leader's unsynced appends) is lost on a crash */
  durable: number;
  /** term and vote as last persisted */
  hardTerm: number;
  hardVote: number;
  /** the leader's writes whose fsync completes at tick `at` */
  syncing: { index: number; term: number; at: number }[];
}

interface InFlight {
  m: Message;
  at: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function entryKey(e: Entry): string {
  if (e.type === "conf-change") {
    const c = decodeConfChange(e.data);
    return `cc:${c.type}:${c.node}`;
  }
  return e.data.byteLength === 0 ? "" : dec.decode(e.data);
}

export function reproCommand(o: SimOptions): string {
  let msg = o.maxSizePerMsg !== undefined ? ` --max-msg ${o.maxSizePerMsg}` : "";
  if (o.loss !== undefined) msg += ` --loss ${o.loss}`;
  if (o.dup !== undefined) msg += ` --dup ${o.dup}`;
  if (o.maxDelay !== undefined) msg += ` --max-delay ${o.maxDelay}`;
  if (o.asyncLocalAppend !== undefined) msg += ` --async-append ${o.asyncLocalAppend ? "on" : "off"}`;
  const unsafe = o.unsafe
    ? Object.keys(o.unsafe)
        .map((k) => ` --unsafe ${k}`)
        .join("")
    : "";
  return `bun scripts/raft-soak.ts --seed ${o.seed} --nodes ${o.nodes} --steps ${o.steps}${msg}${unsafe} --trace`;
}

export function runSim(o: SimOptions): SimResult {
  const rand = createPrng(o.seed);
  const faults = o.faults ?? true;
  const loss = faults ? (o.loss ?? 0.05) : 0;
  const dupP = faults ? (o.dup ?? 0.02) : 0;
  const maxDelay = o.maxDelay ?? 3;
  const trace: string[] = [];
  const log = (s: string) => {
    if (o.trace) trace.push(`[t${now}] ${s}`);
  };
  const stats: SimResult["stats"] = {
    steps: 0,
    ticks: 0,
    proposals: 0,
    acked: 0,
    leaders: 0,
    crashes: 0,
    partitions: 0,
    confChanges: 0,
    transfers: 0,
    snapshotsSent: 0,
    compactions: 0,
    dropped: 0,
    duplicated: 0,
    leaseSteps: 0,
  };
  const pick = <T>(xs: T[]): T | undefined =>
    xs.length === 0 ? undefined : xs[Math.floor(rand() * xs.length)];

  let now = 0;
  let net: InFlight[] = [];
  const blocked = new Set<string>();
  const nodes = new Map<number, SimNode>();
  let nextId = o.nodes + 1;
  let proposalSeq = 0;

  // global knowledge for the invariants
  const leaderOfTerm = new Map<number, number>();
  const entryAt = new Map<string, { key: string; prevTerm: number }>(); // "index/term"
  const committed = new Map<number, { term: number; key: string; hash: number }>();
  let maxCommitted = 0;
  const proposals = new Map<string, { node: number; index: number; term: number }>();
  const acked = new Map<string, number>(); // key → index

  const bootstrap = { voters: [...Array(o.nodes).keys()].map((i) => i + 1), learners: [] };
  const nodeRand = (id: number) => createPrng((o.seed * 31 + id * 7919) >>> 0);

  const asyncAppend = o.asyncLocalAppend ?? Math.floor(o.seed / 2) % 2 === 1;
  const start = (n: SimNode) => {
    n.durable = n.storage.lastIndex();
    n.syncing = [];
    const hs = n.storage.initialState().hardState;
    n.hardTerm = hs.term;
    n.hardVote = hs.vote;
    n.rn = createRawNode({
      id: n.id,
      storage: n.storage,
      rand: nodeRand(n.id * 1000 + now),
      electionTick: 10,
      heartbeatTick: 1,
      maxSizePerMsg: o.maxSizePerMsg ?? 4096,
      maxInflightMsgs: 8,
      unsafe: o.unsafe,
      // both commit broadcasts, half the seeds each (pipam's nodes run lazy)
      lazyCommit: o.seed % 2 === 1,
      asyncLocalAppend: asyncAppend,
    });
    const snap = n.storage.snapshot();
    if (snap.meta.index > 0) {
      const [idx, hash] = dec.decode(snap.data).split(":").map(Number);
      n.smIndex = idx!;
      n.smHash = hash!;
    } else {
      n.smIndex = 0;
      n.smHash = 0;
    }
  };

  const addNode = (id: number, conf?: typeof bootstrap) => {
    const n: SimNode = {
      id,
      rn: undefined,
      storage: o.storage ? o.storage(id, conf) : new MemoryStorage(conf),
      smIndex: 0,
      smHash: 0,
      removed: false,
      durable: 0,
      hardTerm: 0,
      hardVote: 0,
      syncing: [],
    };
    nodes.set(id, n);
    start(n);
  };
  for (const id of bootstrap.voters) addNode(id, bootstrap);

  const fail = (msg: string): never => {
    throw new Violation(msg);
  };

  const applyEntry = (n: SimNode, e: Entry) => {
    if (e.index !== n.smIndex + 1) fail(`node ${n.id} applied ${e.index} after ${n.smIndex} (gap)`);
    const key = entryKey(e);
    n.smHash = fnv(n.smHash, `${e.index}/${key}`);
    n.smIndex = e.index;
    const c = committed.get(e.index);
    if (c) {
      if (c.term !== e.term || c.key !== key || c.hash !== n.smHash) {
        fail(
          `state machine safety: node ${n.id} applied ${e.term}/${e.index} "${key}" but ${c.term}/${e.index} "${c.key}" was applied before`,
        );
      }
    } else {
      committed.set(e.index, { term: e.term, key, hash: n.smHash });
      if (e.index > maxCommitted) maxCommitted = e.index;
    }
    const p = proposals.get(key);
    if (p && p.node === n.id && p.index === e.index && p.term === e.term && !acked.has(key)) {
      acked.set(key, e.index);
      stats.acked++;
    }
  };

  const checkPersisted = (n: SimNode, ents: Entry[]) => {
    for (const e of ents) {
      let prevTerm = -1;
      try {
        prevTerm = n.storage.term(e.index - 1);
      } catch {
        continue;
      }
      const k = `${e.index}/${e.term}`;
      const key = entryKey(e);
      const seen = entryAt.get(k);
      if (!seen) entryAt.set(k, { key, prevTerm });
      else if (seen.key !== key || seen.prevTerm !== prevTerm) {
        fail(
          `log matching: node ${n.id} has ${k} "${key}" after term ${prevTerm}, another log has "${seen.key}" after term ${seen.prevTerm}`,
        );
      }
    }
  };

  const checkLeaderCompleteness = (n: SimNode) => {
    const s = n.storage;
    const snapIdx = s.snapshot().meta.index;
    if (maxCommitted <= snapIdx) return;
    const c = committed.get(maxCommitted)!;
    let t = -1;
    try {
      t = s.term(maxCommitted);
    } catch {
      t = -1;
    }
    if (t !== c.term) {
      fail(
        `leader completeness: node ${n.id} leads term ${n.rn?.status().term} without committed ${c.term}/${maxCommitted} (has term ${t}, last ${s.lastIndex()})`,
      );
    }
  };

  const send = (m: Message) => {
    if (m.type === "snap") stats.snapshotsSent++;
    if (rand() < loss) {
      stats.dropped++;
      return;
    }
    const copies = rand() < dupP ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) net.push({ m, at: now + Math.floor(rand() * (maxDelay + 1)) });
  };

  const processReady = (n: SimNode) => {
    const rn = n.rn;
    if (!rn?.hasReady()) return false;
    const rd: Ready = rn.ready();
    if (o.trace && process.env.RDBG)
      log(
        `${n.id} ready ${JSON.stringify({ ...rd, messages: rd.messages.map((m) => `${m.from}->${m.to} ${m.type} t${m.term} i${m.index} n${m.entries.length}${m.reject ? " rej" : ""}`) })}`,
      );
    // pipam's node: a leader's Ready that only appends (term and vote unchanged, no snapshot) is
    // written without waiting for the fsync; everything else is durable before it goes on
    const last = rd.entries[rd.entries.length - 1];
    const unsynced =
      asyncAppend &&
      rn.status().role === "leader" &&
      last !== undefined &&
      !rd.snapshot &&
      (!rd.hardState || (rd.hardState.term === n.hardTerm && rd.hardState.vote === n.hardVote));
    n.storage.persist({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    if (rd.hardState) {
      n.hardTerm = rd.hardState.term;
      n.hardVote = rd.hardState.vote;
    }
    if (unsynced) {
      n.syncing.push({ index: last.index, term: last.term, at: now + Math.floor(rand() * 6) });
    } else {
      // an fsync covers every earlier write too
      n.durable = n.storage.lastIndex();
      for (const w of n.syncing.splice(0)) rn.localAppendDurable(w.index, w.term);
      if (last) rn.localAppendDurable(last.index, last.term);
    }
    if (rd.snapshot) {
      const s = rd.snapshot;
      const c = committed.get(s.meta.index);
      const [idx, hash] = dec.decode(s.data).split(":").map(Number);
      if (c && (c.term !== s.meta.term || c.hash !== hash))
        fail(`node ${n.id} installed a snapshot at ${idx} that differs`);
      log(`${n.id} installs snapshot ${s.meta.term}/${s.meta.index}`);
    }
    checkPersisted(n, rd.entries);
    if (rd.softState?.role === "leader") {
      const st = rn.status();
      const prev = leaderOfTerm.get(st.term);
      if (prev !== undefined && prev !== n.id)
        fail(`election safety: ${prev} and ${n.id} both lead term ${st.term}`);
      leaderOfTerm.set(st.term, n.id);
      stats.leaders++;
      log(`${n.id} becomes leader of term ${st.term}`);
      checkLeaderCompleteness(n);
    }
    for (const m of rd.messages) send(m);
    if (rd.snapshot) {
      const [idx, hash] = dec.decode(rd.snapshot.data).split(":").map(Number);
      n.smIndex = idx!;
      n.smHash = hash!;
    }
    for (const e of rd.committedEntries) applyEntry(n, e);
    rn.advance(rd);
    return true;
  };

  const processAll = () => {
    for (let round = 0; round < 50; round++) {
      let busy = false;
      for (const n of nodes.values()) busy = processReady(n) || busy;
      if (!busy) return;
    }
  };

  const deliver = (f: InFlight) => {
    const { m } = f;
    const to = nodes.get(m.to);
    if (!to?.rn || blocked.has(`${m.from}-${m.to}`)) return;
    to.rn.step(m);
  };

  const deliverSome = (max: number) => {
    const due = net.filter((f) => f.at <= now);
    if (due.length === 0) return;
    for (let i = 0; i < max && due.length > 0; i++) {
      const j = Math.floor(rand() * due.length);
      const f = due[j]!;
      due.splice(j, 1);
      net.splice(net.indexOf(f), 1);
      deliver(f);
      const to = nodes.get(f.m.to);
      if (to && rand() < 0.7) processReady(to);
    }
  };

  /** fsyncs that completed by now: the leader may count those entries */
  const syncDone = () => {
    for (const n of nodes.values()) {
      if (!n.rn || n.syncing.length === 0) continue;
      while (n.syncing.length > 0 && n.syncing[0]!.at <= now) {
        const w = n.syncing.shift()!;
        n.durable = Math.max(n.durable, w.index);
        n.rn.localAppendDurable(w.index, w.term);
      }
    }
  };

  const tickAll = () => {
    now++;
    stats.ticks++;
    for (const n of nodes.values()) n.rn?.tick();
    syncDone();
  };

  const leaders = () =>
    [...nodes.values()]
      .filter((n) => n.rn?.status().role === "leader")
      .sort((a, b) => b.rn!.status().term - a.rn!.status().term);

  const propose = (n: SimNode) => {
    const key = `p${o.seed}-${++proposalSeq}`;
    const r = n.rn!.propose(enc.encode(key));
    stats.proposals++;
    if (r.ok) proposals.set(key, { node: n.id, index: r.index, term: r.term });
  };

  const liveMembers = () => {
    const l = leaders()[0];
    if (!l?.rn) return [];
    const c = l.rn.status().confState;
    return [...c.voters, ...c.learners].map((id) => nodes.get(id)!).filter(Boolean);
  };

  const faultStep = () => {
    const r = rand();
    const live = [...nodes.values()].filter((n) => n.rn && !n.removed);
    if (r < 0.18) {
      // partition: symmetric split or one asymmetric link
      blocked.clear();
      const ids = [...nodes.keys()];
      if (rand() < 0.6) {
        const side = new Set(ids.filter(() => rand() < 0.4));
        for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) blocked.add(`${a}-${b}`);
        log(`partition {${[...side]}} | rest`);
      } else {
        const a = pick(ids)!;
        const b = pick(ids.filter((x) => x !== a))!;
        blocked.add(`${a}-${b}`);
        log(`cut ${a}->${b}`);
      }
      stats.partitions++;
    } else if (r < 0.4) {
      blocked.clear();
      log("heal");
    } else if (r < 0.52) {
      const down = [...nodes.values()].filter((n) => n.rn);
      // keep a majority of the initial size up most of the time
      if (down.length > Math.ceil(o.nodes / 2)) {
        // half the time, a node that is in the middle of an fsync (the worst moment)
        const mid = down.filter((x) => x.syncing.length > 0);
        const n = mid.length > 0 && rand() < 0.5 ? pick(mid)! : pick(down)!;
        n.rn = undefined;
        // writes that were never fsynced are gone
        if (n.storage.lastIndex() > n.durable && n.storage instanceof MemoryStorage) {
          log(`crash ${n.id} loses unsynced entries after ${n.durable}`);
          n.storage.dropAfter(n.durable);
        }
        n.syncing = [];
        stats.crashes++;
        log(`crash ${n.id}`);
      }
    } else if (r < 0.7) {
      const n = pick([...nodes.values()].filter((x) => !x.rn));
      if (n) {
        start(n);
        log(`restart ${n.id}`);
      }
    } else if (r < 0.8) {
      const l = leaders()[0];
      if (l?.rn) {
        const voters = l.rn.status().confState.voters.filter((v) => v !== l.id);
        const to = pick(voters);
        if (to !== undefined) {
          l.rn.transferLeadership(to);
          stats.transfers++;
          log(`transfer ${l.id} -> ${to}`);
        }
      }
    } else if (r < 0.9) {
      const l = leaders()[0];
      if (!l?.rn) return;
      const c = l.rn.status().confState;
      let res: ReturnType<RawNode["proposeConfChange"]> | undefined;
      if (c.learners.length > 0) {
        res = l.rn.proposeConfChange({ type: "promote", node: c.learners[0]! });
        if (!res.ok && rand() < 0.3) res = l.rn.proposeConfChange({ type: "remove", node: c.learners[0]! });
      } else if (c.voters.length < o.nodes + 1 && rand() < 0.6) {
        const id = nextId;
        res = l.rn.proposeConfChange({ type: "add-learner", node: id });
        if (res.ok) {
          nextId++;
          addNode(id);
        }
      } else if (c.voters.length > 3) {
        const victim = pick(c.voters.filter((v) => v !== l.id));
        if (victim !== undefined) res = l.rn.proposeConfChange({ type: "remove", node: victim });
      }
      if (res?.ok) {
        stats.confChanges++;
        log(`conf change proposed by ${l.id} at ${res.index}`);
      }
    } else {
      const n = pick(live);
      if (!n?.rn) return;
      const idx = n.smIndex;
      if (idx > n.storage.snapshot().meta.index && idx <= n.storage.lastIndex()) {
        n.storage.createSnapshot(idx, n.rn.appliedConfState(), enc.encode(`${idx}:${n.smHash}`));
        n.durable = n.storage.lastIndex(); // a snapshot is written with an fsync
        n.storage.compact(Math.max(n.storage.firstIndex(), idx - Math.floor(rand() * 5)));
        stats.compactions++;
        log(`compact ${n.id} at ${idx}`);
      }
    }
  };

  // mark removed nodes (they keep running but are no longer required)
  const refreshRemoved = () => {
    const l = leaders()[0];
    if (!l?.rn) return;
    const st = l.rn.status();
    if (st.commit < (l.rn as RawNode).status().lastIndex) return;
    const members = new Set([...st.confState.voters, ...st.confState.learners]);
    for (const n of nodes.values()) if (!members.has(n.id) && n.id < nextId) n.removed = true;
  };

  // at most one node may believe it holds the quorum lease
  const checkLease = () => {
    let holder: SimNode | undefined;
    for (const n of nodes.values()) {
      if (!n.rn?.hasQuorumLease()) continue;
      if (holder) {
        fail(
          `lease: ${holder.id} (term ${holder.rn!.status().term}) and ${n.id} (term ${n.rn.status().term}) both hold the quorum lease`,
        );
      }
      holder = n;
    }
    if (holder) stats.leaseSteps++;
  };

  let violation: string | undefined;
  try {
    for (let step = 0; step < o.steps; step++) {
      stats.steps++;
      const r = rand();
      if (r < 0.15) tickAll();
      else if (r < 0.6) deliverSome(1 + Math.floor(rand() * 8));
      else if (r < 0.75) {
        const n = pick([...nodes.values()]);
        if (n) processReady(n);
      } else if (r < 0.88) {
        const l = leaders()[0];
        const n = l && rand() < 0.8 ? l : pick([...nodes.values()].filter((x) => x.rn));
        if (n?.rn) propose(n);
      } else if (faults) faultStep();
      else tickAll();
      refreshRemoved();
      checkLease();
    }

    // heal: no faults, everyone back up, then a leader and every proposal applied everywhere
    blocked.clear();
    for (const n of nodes.values()) if (!n.rn && !n.removed) start(n);
    log("healed");
    const limit = o.livenessTicks ?? 400;
    const markers: { key: string; index: number }[] = [];
    let lastMarkerTick = -1000;
    let done = false;
    for (let t = 0; t < limit && !done; t++) {
      tickAll();
      processAll();
      for (let k = 0; k < 20 && net.length > 0; k++) {
        const due = net.filter((f) => f.at <= now);
        if (due.length === 0) break;
        net = net.filter((f) => f.at > now);
        for (const f of due) deliver(f);
        processAll();
      }
      const l = leaders()[0];
      if (!l?.rn) continue;
      const hit = markers.find((m) => committed.get(m.index)?.key === m.key);
      if (!hit) {
        if (t - lastMarkerTick >= 20) {
          const key = `final-${o.seed}-${t}`;
          const r = l.rn.propose(enc.encode(key));
          if (r.ok) {
            markers.push({ key, index: r.index });
            lastMarkerTick = t;
          }
        }
        continue;
      }
      const members = liveMembers();
      if (members.length > 0 && members.every((n) => n.rn && n.smIndex >= hit.index)) done = true;
    }
    if (!done) {
      const st = [...nodes.values()].map((n) => {
        const s = n.rn?.status();
        return s ? `${n.id}:${s.role}/t${s.term}/c${s.commit}/a${n.smIndex}` : `${n.id}:down`;
      });
      if (o.trace)
        for (const n of nodes.values())
          trace.push(
            JSON.stringify({
              id: n.id,
              st: n.rn?.status(),
              progress: [...(n.rn?.status().progress ?? [])],
              net: net.length,
              first: n.storage.firstIndex(),
              last: n.storage.lastIndex(),
            }),
          );
      fail(`liveness: no leader with every member caught up ${limit} ticks after healing [${st.join(" ")}]`);
    }
    // acknowledged proposals are applied, in place, on every member
    for (const [key, idx] of acked) {
      const c = committed.get(idx);
      if (!c || c.key !== key) fail(`acknowledged proposal ${key} at ${idx} was lost`);
    }
    const ref = committed.get(maxCommitted)!;
    for (const n of liveMembers()) {
      if (n.smIndex >= maxCommitted && committed.get(n.smIndex)?.hash !== n.smHash) {
        fail(`node ${n.id} state diverged at ${n.smIndex}`);
      }
    }
    void ref;
  } catch (err) {
    if (err instanceof Violation) violation = err.message;
    else violation = `crash: ${(err as Error).stack ?? err}`;
  }
  return { ok: violation === undefined, violation, repro: reproCommand(o), stats, trace };
}
