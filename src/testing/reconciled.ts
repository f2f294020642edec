/**
 * A reconciled state to test views of it (status page, admin API): guests reconciled once, in
 * full, against the in-memory DNS provider, which holds a foreign record for "db" (a conflict) and
 * rejects names starting with "bad." — so one cycle leaves in-sync, conflicting and rejected
 * records behind.
 */
import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemoryDnsProvider } from "../providers/dns/memory.ts";
import { type CycleReport, createReconciler } from "../reconcile/reconciler.ts";
import { createMemoryStore, type StateStore } from "../reconcile/store.ts";
import type { Guest, Inventory } from "../state/model.ts";

/** A running VM in cluster "pve" whose eth0 has these addresses from the guest agent. */
export function testGuest(
  vmid: number,
  name: string,
  ips: string | string[],
  extra: Partial<Guest> = {},
): Guest {
  return {
    cluster: "pve",
    node: "n1",
    vmid,
    type: "qemu",
    name,
    status: "running",
    template: false,
    tags: [],
    nics: [
      {
        name: "eth0",
        addresses: [ips].flat().map((ip) => ({ ip, family: ip.includes(":") ? 6 : 4, source: "agent" })),
      },
    ],
    ...extra,
  };
}

const clock: Clock = { now: () => 1_700_000_000_000, sleep: async () => {} };

/** One full cycle of `guests` into zone lab.example. (networks 10.0.0.0/16). */
export async function reconciledOnce(
  guests: Guest[],
  onCycle?: (r: CycleReport) => void,
): Promise<StateStore> {
  const dns = createMemoryDnsProvider({ ownerId: "me", zones: ["lab.example."] });
  dns.seed({ zone: "lab.example.", name: "db.lab.example.", type: "A", ttl: 60, records: ["192.0.2.1"] });
  dns.rejectWhen((rr) => (rr.name.startsWith("bad.") ? "invalid name" : undefined));
  const inv: Inventory = { collectedAt: 0, complete: true, errors: [], guests };
  const store = createMemoryStore();
  const rec = createReconciler({
    source: { collect: async () => structuredClone(inv) },
    dns: {
      provider: dns,
      ownerId: "me",
      policy: "sync",
      rules: {
        zones: [{ zone: "lab.example.", networks: ["10.0.0.0/16"] }],
        skipCidrs: [],
        ttl: 300,
        ptr: false,
        ignoreInterfaces: [],
        tags: { ignore: "pipam-ignore" },
      },
    },
    store,
    clock,
    logger: silentLogger,
    ...(onCycle ? { onCycle } : {}),
  });
  await rec.runCycle({ full: true }, new AbortController().signal);
  return store;
}
