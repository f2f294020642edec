/**
 * Applies IpamChanges to NetBox with bulk requests, in the order NetBox's rules need:
 *   1. deletes: IPs, MACs, interfaces, VMs (a VM takes its interfaces, MACs and IPs along);
 *   2. VM updates (a primary IP that changes is cleared here, so its IP may move) and VM creates;
 *   3. interface creates/updates; 4. MAC creates; 5. interface primary MACs;
 *   6. IP updates and creates; 7. VM primary IPs (the IPs are on the VM's interfaces by now).
 * A bulk request NetBox refuses (400) is split in halves until the bad object is alone; that one
 * is reported in `failed` and everything else is applied. Objects whose parent failed are skipped
 * and reported too. Transient failures (NetBox down) throw PipamError(transient).
 */
import type {
  IpamChanges,
  IpamInterface,
  IpamIp,
  IpamMac,
  IpamRef,
  IpamVm,
} from "../../../state/ipam-types.ts";
import { hostOf } from "../../../state/ipam-types.ts";
import type { GuestKey } from "../../../state/model.ts";
import type { ApplyFailure, ApplyResult } from "../../provider.ts";
import { bulk } from "./bulk.ts";
import type { NbListPath, NetboxClient } from "./client.ts";
import { IFACE_TYPE } from "./convert.ts";

export type IpamApplyResult = ApplyResult<IpamRef>;

export interface ApplyContext {
  client: NetboxClient;
  tag: string;
  /** Resolved ids (from the last read, completed by ensure()). */
  clusterIds: Record<string, number>;
}

const P = {
  vm: "/api/virtualization/virtual-machines/",
  iface: "/api/virtualization/interfaces/",
  mac: "/api/dcim/mac-addresses/",
  ip: "/api/ipam/ip-addresses/",
} as const satisfies Record<string, NbListPath>;

type Body = Record<string, unknown>;

export async function applyIpam(
  ctx: ApplyContext,
  c: IpamChanges,
  signal: AbortSignal,
): Promise<IpamApplyResult> {
  const { client, tag } = ctx;
  const writes0 = client.stats().writes;
  const failed: ApplyFailure<IpamRef>[] = [];
  let applied = 0;
  const tags = [{ slug: tag }];
  const fail = (item: IpamRef, error: string) => failed.push({ item, error });
  const vmRef = (v: IpamVm): IpamRef => ({
    kind: "vm",
    name: v.name,
    ...(v.key ? { vm: v.key } : {}),
    ...(v.id ? { id: v.id } : {}),
  });
  const ifRef = (i: IpamInterface): IpamRef => ({
    kind: "interface",
    name: `${i.vm ?? i.vmId}/${i.name}`,
    ...(i.vm ? { vm: i.vm } : {}),
  });
  const macRef = (m: IpamMac): IpamRef => ({ kind: "mac", name: m.mac, ...(m.vm ? { vm: m.vm } : {}) });
  const ipRef = (p: IpamIp): IpamRef => ({ kind: "ip", name: p.address, ...(p.vm ? { vm: p.vm } : {}) });
  const withTag = (cur: { tagged?: boolean; tags?: string[] } | undefined) =>
    cur?.tagged ? {} : { tags: [...new Set([...(cur?.tags ?? []), tag])].map((slug) => ({ slug })) };

  // ---- 1. deletes -----------------------------------------------------------------------------
  const del = async <T extends { id?: number }>(path: NbListPath, items: T[], ref: (x: T) => IpamRef) => {
    const done = await bulk(
      items.filter((x) => x.id !== undefined),
      async (b) => {
        await client.remove(
          path,
          b.map((x) => x.id as number),
          signal,
        );
        return b;
      },
      (x, e) => fail(ref(x), e),
    );
    applied += done.length;
  };
  await del(P.ip, c.ips.delete, ipRef);
  await del(P.mac, c.macs.delete, macRef);
  await del(P.iface, c.interfaces.delete, ifRef);
  await del(P.vm, c.vms.delete, vmRef);

  // ---- 2. VMs ---------------------------------------------------------------------------------
  const vmIds = new Map<GuestKey, number>();
  const failedVms = new Set<GuestKey>();
  const clusterId = (name: string) => ctx.clusterIds[name];
  const vmBody = (v: IpamVm): Body => {
    const b: Body = { name: v.name, cluster: clusterId(v.cluster), description: v.description ?? "" };
    if (v.status) b.status = v.status;
    return b;
  };
  const vmUpdates = c.vms.updateNew.map((v, i) => {
    const cur = c.vms.updateOld[i];
    const b: Body = { id: v.id, ...vmBody(v), ...withTag(cur) };
    if (cur?.primaryIp4 && cur.primaryIp4 !== v.primaryIp4) b.primary_ip4 = null;
    if (cur?.primaryIp6 && cur.primaryIp6 !== v.primaryIp6) b.primary_ip6 = null;
    return { v, b };
  });
  for (const { item } of await bulk(
    vmUpdates,
    (b) =>
      client.update(
        P.vm,
        b.map((x) => x.b as { id: number }),
        signal,
      ),
    (x, e) => {
      fail(vmRef(x.v), e);
      if (x.v.key) failedVms.add(x.v.key);
    },
  )) {
    applied++;
    if (item.v.key && item.v.id !== undefined) vmIds.set(item.v.key, item.v.id);
  }
  const noCluster = c.vms.create.filter((v) => clusterId(v.cluster) === undefined);
  for (const v of noCluster) {
    fail(vmRef(v), `cluster "${v.cluster}" does not exist in NetBox`);
    if (v.key) failedVms.add(v.key);
  }
  for (const { item, res } of await bulk(
    c.vms.create.filter((v) => clusterId(v.cluster) !== undefined),
    (b) =>
      client.create(
        P.vm,
        b.map((v) => ({ ...vmBody(v), tags })),
        signal,
      ),
    (v, e) => {
      fail(vmRef(v), e);
      if (v.key) failedVms.add(v.key);
    },
  )) {
    applied++;
    if (item.key && res) vmIds.set(item.key, res.id);
  }
  const vmIdOf = (key: GuestKey | undefined, known?: number) => known ?? (key ? vmIds.get(key) : undefined);
  const parentFailed = (key: GuestKey | undefined) => key !== undefined && failedVms.has(key);

  // ---- 3. interfaces --------------------------------------------------------------------------
  const ifIds = new Map<string, number>(); // `${vmKey}/${name}`
  const failedIfaces = new Set<string>();
  const ifKey = (vm: GuestKey | undefined, name: string) => `${vm}/${name}`;
  const skip = <T>(items: T[], dead: (x: T) => boolean, ref: (x: T) => IpamRef, why: string): T[] =>
    items.filter((x) => {
      if (!dead(x)) return true;
      fail(ref(x), why);
      return false;
    });
  const ifUpdates = c.interfaces.updateNew.map((i, n) => {
    const cur = c.interfaces.updateOld[n];
    const b: Body = { id: i.id, ...withTag(cur) };
    if (i.macId !== undefined && cur?.mac !== i.mac) b.primary_mac_address = i.macId;
    return { i, b };
  });
  // An update that only changes the primary MAC to a MAC created below is sent in step 5.
  for (const { i } of ifUpdates.filter((x) => Object.keys(x.b).length === 1)) {
    applied++;
    if (i.id !== undefined) ifIds.set(ifKey(i.vm, i.name), i.id);
  }
  for (const { item } of await bulk(
    ifUpdates.filter((x) => Object.keys(x.b).length > 1),
    (b) =>
      client.update(
        P.iface,
        b.map((x) => x.b as { id: number }),
        signal,
      ),
    (x, e) => {
      fail(ifRef(x.i), e);
      failedIfaces.add(ifKey(x.i.vm, x.i.name));
    },
  )) {
    applied++;
    if (item.i.id !== undefined) ifIds.set(ifKey(item.i.vm, item.i.name), item.i.id);
  }
  const ifCreates = skip(
    c.interfaces.create,
    (i) => vmIdOf(i.vm, i.vmId) === undefined,
    ifRef,
    "its VM was not created",
  );
  for (const { item, res } of await bulk(
    ifCreates,
    (b) =>
      client.create(
        P.iface,
        b.map((i) => ({ virtual_machine: vmIdOf(i.vm, i.vmId), name: i.name, tags })),
        signal,
      ),
    (i, e) => {
      fail(ifRef(i), e);
      failedIfaces.add(ifKey(i.vm, i.name));
    },
  )) {
    applied++;
    if (res) ifIds.set(ifKey(item.vm, item.name), res.id);
  }
  const ifIdOf = (vm: GuestKey | undefined, name: string, known?: number) =>
    known ?? ifIds.get(ifKey(vm, name));

  // ---- 4. MACs, 5. primary MACs ---------------------------------------------------------------
  const macCreates = skip(
    c.macs.create,
    (m) => ifIdOf(m.vm, m.iface, m.ifaceId) === undefined,
    macRef,
    "its interface was not created",
  );
  const primaryMacs: { id: number; primary_mac_address: number }[] = [];
  const wantMac = new Map<string, string | undefined>();
  for (const i of [...c.interfaces.create, ...c.interfaces.updateNew])
    wantMac.set(ifKey(i.vm, i.name), i.mac);
  for (const { item, res } of await bulk(
    macCreates,
    (b) =>
      client.create(
        P.mac,
        b.map((m) => ({
          mac_address: m.mac,
          assigned_object_type: IFACE_TYPE,
          assigned_object_id: ifIdOf(m.vm, m.iface, m.ifaceId),
          tags,
        })),
        signal,
      ),
    (m, e) => fail(macRef(m), e),
  )) {
    applied++;
    const ifId = ifIdOf(item.vm, item.iface, item.ifaceId);
    if (res && ifId !== undefined && wantMac.get(ifKey(item.vm, item.iface)) === item.mac) {
      primaryMacs.push({ id: ifId, primary_mac_address: res.id });
    }
  }
  if (primaryMacs.length > 0) {
    await bulk(
      primaryMacs,
      (b) => client.update(P.iface, b, signal),
      (x, e) => fail({ kind: "interface", name: String(x.id), id: x.id }, `primary MAC: ${e}`),
    );
  }

  // ---- 6. IPs ---------------------------------------------------------------------------------
  const ipIds = new Map<string, number>(); // host → id
  const ipBody = (p: IpamIp): Body => ({
    address: p.address,
    status: "active",
    assigned_object_type: IFACE_TYPE,
    assigned_object_id: ifIdOf(p.vm, p.iface, p.ifaceId),
    dns_name: p.dnsName,
  });
  const deadIp = (p: IpamIp) => parentFailed(p.vm) || ifIdOf(p.vm, p.iface, p.ifaceId) === undefined;
  const ipUpdates = skip(
    c.ips.updateNew.map((p, n) => ({ p, cur: c.ips.updateOld[n] })),
    (x) => deadIp(x.p),
    (x) => ipRef(x.p),
    "its interface was not created",
  );
  for (const { item } of await bulk(
    ipUpdates,
    (b) =>
      client.update(
        P.ip,
        b.map((x) => ({ id: x.p.id as number, ...ipBody(x.p), ...withTag(x.cur) })),
        signal,
      ),
    (x, e) => fail(ipRef(x.p), e),
  )) {
    applied++;
    if (item.p.id !== undefined) ipIds.set(hostOf(item.p.address), item.p.id);
  }
  for (const { item, res } of await bulk(
    skip(c.ips.create, deadIp, ipRef, "its interface was not created"),
    (b) =>
      client.create(
        P.ip,
        b.map((p) => ({ ...ipBody(p), tags })),
        signal,
      ),
    (p, e) => fail(ipRef(p), e),
  )) {
    applied++;
    if (res) ipIds.set(hostOf(item.address), res.id);
  }

  // ---- 7. primary IPs -------------------------------------------------------------------------
  const primaries: Body[] = [];
  const olds = new Map(c.vms.updateOld.map((v) => [v.id, v]));
  for (const v of [...c.vms.create, ...c.vms.updateNew]) {
    const id = vmIdOf(v.key, v.id);
    if (id === undefined) continue;
    const cur = v.id === undefined ? undefined : olds.get(v.id);
    const b: Body = { id };
    for (const [f, idf] of [
      ["primaryIp4", "primaryIp4Id"],
      ["primaryIp6", "primaryIp6Id"],
    ] as const) {
      const addr = v[f];
      if (!addr || cur?.[f] === addr) continue;
      const ipId = v[idf] ?? ipIds.get(hostOf(addr));
      if (ipId !== undefined) b[f === "primaryIp4" ? "primary_ip4" : "primary_ip6"] = ipId;
    }
    if (Object.keys(b).length > 1) primaries.push(b);
  }
  if (primaries.length > 0) {
    await bulk(
      primaries,
      (b) => client.update(P.vm, b as { id: number }[], signal),
      (x, e) => fail({ kind: "vm", name: String(x.id), id: x.id as number }, `primary IP: ${e}`),
    );
  }
  return { applied, failed, writes: client.stats().writes - writes0 };
}
