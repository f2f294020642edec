/**
 * Runs the Proxmox VE API simulator on its own, e.g. for the demo or by hand:
 *   bun scripts/sim.ts --guests 20 --port 8006 --churn
 * Prints the URL, token id, secret and certificate fingerprint (or one JSON line with --json).
 * Options: --guests N (20) --nodes N (3) --port P (8006; 0 = any) --host H (127.0.0.1) --seed N (1)
 *   --ipv6 --healthy (every guest running with a working agent) --latency MS (per-guest calls)
 *   --list-latency MS --churn (change a guest every --churn-ms, default 5000) --ca-out FILE
 *   --token-id user@realm!name --secret S --json
 */
import { parseArgs } from "node:util";
import { demoScenario, seededRand, startProxmoxSim } from "../src/sim/index.ts";

const { values: a } = parseArgs({
  options: {
    guests: { type: "string", default: "20" },
    nodes: { type: "string", default: "3" },
    port: { type: "string", default: "8006" },
    host: { type: "string", default: "127.0.0.1" },
    seed: { type: "string", default: "1" },
    ipv6: { type: "boolean", default: false },
    healthy: { type: "boolean", default: false },
    latency: { type: "string", default: "0" },
    "list-latency": { type: "string", default: "0" },
    churn: { type: "boolean", default: false },
    "churn-ms": { type: "string", default: "5000" },
    "ca-out": { type: "string" },
    "token-id": { type: "string" },
    secret: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const num = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name}: expected a non-negative number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};

const seed = num("seed", a.seed);
const scenario = demoScenario({
  guests: num("guests", a.guests),
  nodes: num("nodes", a.nodes),
  ipv6: a.ipv6,
  seed,
  allHealthy: a.healthy,
});
const lat = num("latency", a.latency);
scenario.latency = { config: lat, agent: lat, interfaces: lat, list: num("list-latency", a["list-latency"]) };

const sim = await startProxmoxSim(scenario, {
  port: num("port", a.port),
  hostname: a.host,
  ...(a["token-id"] ? { tokenId: a["token-id"] } : {}),
  ...(a.secret ? { secret: a.secret } : {}),
});
if (a["ca-out"]) await Bun.write(a["ca-out"], sim.caPem);

const info = {
  url: sim.url,
  tokenId: sim.tokenId,
  secret: sim.secret,
  fingerprint: sim.fingerprint,
  guests: scenario.guests.length,
};
if (a.json) console.log(JSON.stringify(info));
else {
  console.log(
    `Proxmox simulator listening on ${sim.url}  (${info.guests} guests, ${scenario.nodes.length} nodes)`,
  );
  console.log(`  token id:    ${sim.tokenId}`);
  console.log(`  secret:      ${sim.secret}`);
  console.log(`  fingerprint: ${sim.fingerprint}`);
  if (a["ca-out"]) console.log(`  CA:          ${a["ca-out"]}`);
}

let timer: ReturnType<typeof setInterval> | undefined;
if (a.churn) {
  const rand = seededRand(seed + 7);
  let nextVmid = 100 + scenario.guests.length;
  timer = setInterval(
    () => {
      sim.mutate((s) => {
        const g = s.guests[Math.floor(rand() * s.guests.length)];
        const r = rand();
        if (!g || r < 0.2) {
          const vmid = nextVmid++;
          const n = vmid % s.nodes.length;
          s.guests.push({
            vmid,
            type: "lxc",
            node: s.nodes[n]!.name,
            name: `new-${vmid}`,
            status: "running",
            uptime: 0,
            nics: [
              {
                name: "eth0",
                mac: `BC:24:12:00:${((vmid >> 8) & 0xff).toString(16).padStart(2, "0")}:${(vmid & 0xff).toString(16).padStart(2, "0")}`,
                ipv4: [`10.200.${(vmid >> 8) & 0xff}.${vmid & 0xff}/16`],
              },
            ],
          });
          console.error(`churn: added CT ${vmid}`);
        } else if (r < 0.35) {
          s.guests.splice(s.guests.indexOf(g), 1);
          console.error(`churn: removed ${g.type} ${g.vmid}`);
        } else if (r < 0.6) {
          g.status = g.status === "running" ? "stopped" : "running";
          console.error(`churn: ${g.type} ${g.vmid} is now ${g.status}`);
        } else if (r < 0.8) {
          sim.reboot(g.vmid);
          console.error(`churn: rebooted ${g.type} ${g.vmid}`);
        } else {
          const nic = g.nics[0];
          if (nic?.ipv4?.[0]) {
            const [ip, p] = nic.ipv4[0].split("/");
            const parts = (ip ?? "").split(".").map(Number);
            parts[3] = ((parts[3] ?? 0) % 250) + 1 + Math.floor(rand() * 4);
            nic.ipv4 = [`${parts.join(".")}/${p}`];
            sim.reboot(g.vmid);
            console.error(`churn: ${g.type} ${g.vmid} got ${nic.ipv4[0]} (after a reboot)`);
          }
        }
      });
    },
    num("churn-ms", a["churn-ms"]),
  );
}

const stop = async () => {
  if (timer) clearInterval(timer);
  await sim.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
