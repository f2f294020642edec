/**
 * Raft soak: runs the deterministic simulator over many seeds.
 *   bun scripts/raft-soak.ts [--seeds 10000] [--from 1] [--steps 500] [--nodes 3,5] [--seed N --trace]
 *   [--unsafe commitPreviousTerm|skipUpToDateCheck|countUnsyncedSelf] [--async-append on|off] [--max-msg bytes] [--loss 0.05] [--dup 0.02] [--max-delay 3]
 * Exit 1 on the first violation, with a one-line reproduction command.
 */
import { parseArgs } from "node:util";
import { runSim } from "../src/raft/sim/sim.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "10000" },
    from: { type: "string", default: "1" },
    steps: { type: "string", default: "500" },
    nodes: { type: "string", default: "3,5" },
    seed: { type: "string" },
    trace: { type: "boolean", default: false },
    unsafe: { type: "string" },
    "max-msg": { type: "string" },
    loss: { type: "string" },
    dup: { type: "string" },
    "max-delay": { type: "string" },
    /** the leader's unsynced appends (default: half the seeds) */
    "async-append": { type: "string" },
  },
});
const steps = Number(values.steps);
const nodeCounts = values.nodes.split(",").map(Number);
const unsafe = values.unsafe ? { [values.unsafe]: true } : undefined;
const seeds =
  values.seed !== undefined
    ? [Number(values.seed)]
    : [...Array(Number(values.seeds)).keys()].map((i) => i + Number(values.from));

const t0 = performance.now();
const totals: Record<string, number> = {};
let runs = 0;
for (const seed of seeds) {
  for (const nodes of nodeCounts) {
    const maxSizePerMsg = values["max-msg"] ? Number(values["max-msg"]) : undefined;
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const r = runSim({
      seed,
      nodes,
      steps,
      trace: values.trace,
      unsafe,
      maxSizePerMsg,
      loss: num(values.loss),
      dup: num(values.dup),
      maxDelay: num(values["max-delay"]),
      asyncLocalAppend: values["async-append"] === undefined ? undefined : values["async-append"] === "on",
    });
    runs++;
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (!r.ok) {
      if (values.trace) console.log(r.trace.join("\n"));
      console.log(`VIOLATION seed=${seed} nodes=${nodes}: ${r.violation}`);
      console.log(`repro: ${r.repro.replace(/--nodes \d+/, `--nodes ${nodes}`)}`);
      process.exit(1);
    }
  }
  if (seeds.length > 1 && seed % 1000 === 0) {
    console.log(
      `  ${seed - Number(values.from) + 1} seeds ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}
const secs = (performance.now() - t0) / 1000;
console.log(
  `raft soak: ${seeds.length} seeds × nodes {${nodeCounts}} × ${steps} steps = ${runs} runs in ${secs.toFixed(1)} s, violations 0`,
);
console.log(
  `  totals: ${Object.entries(totals)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}`,
);
