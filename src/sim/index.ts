/** Proxmox VE API simulator: tests, benchmarks, the demo, and `bun scripts/sim.ts`. */

export type { SimCert } from "./cert.ts";
export { simCert } from "./cert.ts";
export type { DemoOptions } from "./demo-scenario.ts";
export { demoScenario, seededRand } from "./demo-scenario.ts";
export type { AgentMode, Scenario, SimFault, SimGuest, SimLatency, SimNic, SimNode } from "./scenario.ts";
export type { ProxmoxSim, SimCalls, SimOptions } from "./server.ts";
export { startProxmoxSim } from "./server.ts";
