/**
 * A tiny cluster harness for the datadriven interaction tests (etcd rafttest.InteractionEnv):
 * commands in, text out. Pure: messages queue in memory, time is ticks, randomness is fixed.
 */
import { decodeConfChange } from "./raft.ts";
import type { RawNode } from "./raw-node.ts";
import { createRawNode } from "./raw-node.ts";
import { MemoryStorage } from "./storage.ts";
import type { ConfChangeType, Entry, Message, Ready } from "./types.ts";

interface EnvNode {
  rn: RawNode;
  storage: MemoryStorage;
  applied: Entry[];
}

const dec = new TextDecoder();
const enc = new TextEncoder();

export function fmtEntry(e: Entry): string {
  if (e.type === "conf-change") {
    const c = decodeConfChange(e.data);
    return `${e.term}/${e.index} ${c.type} ${c.node}`;
  }
  return `${e.term}/${e.index} ${e.data.byteLength === 0 ? "EMPTY" : JSON.stringify(dec.decode(e.data))}`;
}

export function fmtMsg(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  if (m.type === "app" || m.type === "vote" || m.type === "pre-vote")
    s += ` logTerm=${m.logTerm} index=${m.index}`;
  if (m.type === "app" || m.type === "heartbeat") s += ` commit=${m.commit}`;
  if (m.type === "app-resp") s += ` index=${m.index}`;
  if (m.reject) s += ` rejected (hint: ${m.rejectHint}${m.logTerm ? `/${m.logTerm}` : ""})`;
  if (m.force) s += " force";
  if (m.entries.length > 0) s += ` entries=[${m.entries.map(fmtEntry).join(", ")}]`;
  if (m.snapshot) s += ` snapshot=${m.snapshot.meta.term}/${m.snapshot.meta.index}`;
  return s;
}

export class InteractionEnv {
  nodes = new Map<number, EnvNode>();
  /** messages waiting for delivery, by recipient */
  inbox = new Map<number, Message[]>();
  /** blocked directed links "from-to": messages sent over them are dropped */
  blocked = new Set<string>();
  out: string[] = [];

  private ids(args: string[]): number[] {
    const ids = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
    return ids.length > 0 ? ids : [...this.nodes.keys()];
  }

  private node(id: number): EnvNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  run(cmd: string, args: string[]): string {
    this.out = [];
    const a = (i: number) => Number(args[i]);
    switch (cmd) {
      case "add-nodes": {
        // add-nodes <n> [voters...] [join] [max-msg=<bytes>] [unsafe=commitPreviousTerm|skipUpToDateCheck]
        //   join: empty membership, learned from the leader; unsafe: a deliberately broken core
        const n = a(0);
        const first = this.nodes.size + 1;
        const opts = new Map(
          args.filter((x) => x.includes("=")).map((x) => x.split("=") as [string, string]),
        );
        const rest = args.slice(1).filter((x) => !x.includes("="));
        const join = rest[0] === "join";
        const voters = join
          ? []
          : rest.length > 0
            ? rest.map(Number)
            : [...Array(first + n - 1).keys()].map((i) => i + 1);
        const unsafe = opts.has("unsafe") ? { [opts.get("unsafe")!]: true } : undefined;
        const maxSizePerMsg = opts.has("max-msg") ? Number(opts.get("max-msg")) : undefined;
        for (let id = first; id < first + n; id++) {
          const storage = new MemoryStorage({ voters, learners: [] });
          // node i times out after exactly 10 + (i - 1) ticks, so elections are predictable
          const rand = () => ((id - 1) % 10) / 10;
          const rn = createRawNode({
            id,
            storage,
            rand,
            electionTick: 10,
            heartbeatTick: 1,
            unsafe,
            maxSizePerMsg,
          });
          this.nodes.set(id, { rn, storage, applied: [] });
          this.out.push(`node ${id}: voters=${JSON.stringify(voters)}`);
        }
        break;
      }
      case "campaign":
        this.node(a(0)).rn.campaign();
        break;
      case "tick-heartbeat":
        this.node(a(0)).rn.tick();
        break;
      case "tick-election": // until node's own randomized timeout (10 + id - 1)
        for (let i = 0; i < 10 + ((a(0) - 1) % 10); i++) this.node(a(0)).rn.tick();
        break;
      case "tick": {
        for (const id of this.ids(args.slice(1))) for (let i = 0; i < a(0); i++) this.node(id).rn.tick();
        break;
      }
      case "propose": {
        const r = this.node(a(0)).rn.propose(enc.encode(args.slice(1).join(" ")));
        this.out.push(r.ok ? `proposed at ${r.term}/${r.index}` : `error: ${r.error.message}`);
        break;
      }
      case "propose-conf-change": {
        const r = this.node(a(0)).rn.proposeConfChange({ type: args[1] as ConfChangeType, node: a(2) });
        this.out.push(r.ok ? `proposed at ${r.term}/${r.index}` : `error: ${r.error.message}`);
        break;
      }
      case "transfer-leadership": {
        const err = this.node(a(0)).rn.transferLeadership(a(1));
        if (err) this.out.push(`error: ${err.message}`);
        break;
      }
      case "process-ready":
        for (const id of this.ids(args)) this.processReady(id);
        break;
      case "deliver-msgs":
        for (const id of this.ids(args)) this.deliver(id);
        break;
      case "stabilize":
        this.stabilize(this.ids(args));
        break;
      case "partition": {
        // partition 1 / 2 3  → links between the two sides are cut (both directions)
        const slash = args.indexOf("/");
        const left = args.slice(0, slash).map(Number);
        const right = args.slice(slash + 1).map(Number);
        for (const l of left) {
          for (const r of right) {
            this.blocked.add(`${l}-${r}`);
            this.blocked.add(`${r}-${l}`);
          }
        }
        break;
      }
      case "cut": // cut 1 2 → only 1→2 is dropped (asymmetric)
        this.blocked.add(`${a(0)}-${a(1)}`);
        break;
      case "heal":
        this.blocked.clear();
        break;
      case "compact": {
        const n = this.node(a(0));
        const idx = a(1);
        n.storage.createSnapshot(idx, n.rn.appliedConfState(), enc.encode(`snap@${idx}`));
        n.storage.compact(idx);
        this.out.push(`${a(0)}: log compacted to ${idx}, first index ${n.storage.firstIndex()}`);
        break;
      }
      case "status":
        for (const id of this.ids(args)) this.out.push(this.fmtStatus(id));
        break;
      case "log":
        for (const id of this.ids(args)) {
          const n = this.node(id);
          const s = n.storage;
          const ents = s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), s.lastIndex() + 1) : [];
          this.out.push(
            `${id}: snapshot ${s.snapshot().meta.term}/${s.snapshot().meta.index}; ${ents.map(fmtEntry).join(", ") || "no entries"}`,
          );
        }
        break;
      case "applied":
        for (const id of this.ids(args))
          this.out.push(`${id}: ${this.node(id).applied.map(fmtEntry).join(", ") || "nothing"}`);
        break;
      case "check-safety": {
        // state machine safety: no two nodes applied different entries at one index
        const at = new Map<number, { id: number; e: Entry }>();
        for (const [id, n] of this.nodes) {
          for (const e of n.applied) {
            const seen = at.get(e.index);
            if (!seen) at.set(e.index, { id, e });
            else if (seen.e.term !== e.term || fmtEntry(seen.e) !== fmtEntry(e)) {
              this.out.push(
                `VIOLATION at index ${e.index}: ${seen.id} applied ${fmtEntry(seen.e)}, ${id} applied ${fmtEntry(e)}`,
              );
            }
          }
        }
        if (this.out.length === 0) this.out.push("state machine safety: ok");
        break;
      }
      default:
        throw new Error(`unknown command ${cmd}`);
    }
    return this.out.join("\n") || "ok";
  }

  fmtStatus(id: number): string {
    const n = this.node(id);
    const st = n.rn.status();
    let s = `${id}: ${st.role} term=${st.term} leader=${st.leader} commit=${st.commit} applied=${st.applied} last=${st.lastIndex} voters=${JSON.stringify(st.confState.voters)}`;
    if (st.confState.learners.length > 0) s += ` learners=${JSON.stringify(st.confState.learners)}`;
    if (st.role === "leader") {
      s += ` lease=${n.rn.hasQuorumLease()}`;
      const pr = [...st.progress].map(([p, v]) => `${p}:${v.state}/${v.match}`);
      s += ` progress=[${pr.join(" ")}]`;
    }
    return s;
  }

  processReady(id: number): boolean {
    const n = this.node(id);
    if (!n.rn.hasReady()) return false;
    const rd: Ready = n.rn.ready();
    const parts: string[] = [];
    if (rd.softState) parts.push(`${rd.softState.role} leader=${rd.softState.leader}`);
    if (rd.hardState)
      parts.push(`hs term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
    this.out.push(`> ${id} ready${parts.length > 0 ? `: ${parts.join("; ")}` : ""}`);
    if (rd.snapshot)
      this.out.push(
        `  snapshot ${rd.snapshot.meta.term}/${rd.snapshot.meta.index} voters=${JSON.stringify(rd.snapshot.meta.confState.voters)}`,
      );
    if (rd.entries.length > 0) this.out.push(`  entries: ${rd.entries.map(fmtEntry).join(", ")}`);
    if (rd.committedEntries.length > 0)
      this.out.push(`  apply: ${rd.committedEntries.map(fmtEntry).join(", ")}`);
    n.storage.persist({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
    for (const m of rd.messages) {
      if (this.blocked.has(`${m.from}-${m.to}`)) {
        this.out.push(`  ${fmtMsg(m)} (dropped)`);
        continue;
      }
      this.out.push(`  ${fmtMsg(m)}`);
      const q = this.inbox.get(m.to) ?? [];
      q.push(m);
      this.inbox.set(m.to, q);
    }
    if (rd.snapshot) n.applied = [];
    n.applied.push(...rd.committedEntries);
    n.rn.advance(rd);
    return true;
  }

  deliver(id: number): boolean {
    const q = this.inbox.get(id) ?? [];
    this.inbox.set(id, []);
    for (const m of q) {
      this.nodes.get(id)?.rn.step(m);
    }
    return q.length > 0;
  }

  stabilize(ids: number[]): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const id of ids) busy = this.processReady(id) || busy;
      for (const id of ids) busy = this.deliver(id) || busy;
      if (!busy) return;
    }
    throw new Error("stabilize: no fixed point after 1000 rounds");
  }
}
