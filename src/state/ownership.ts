/**
 * Ownership as a decorator over Changes (external-dns's registry): whatever produced the
 * changes, only rrsets marked with this instance's owner id may be updated or deleted. Creates
 * pass (the provider marks them with the owner id); an update is kept only when its old side is
 * ours, and it is kept or dropped together with its new side.
 */
import type { Changes, RRset } from "./model.ts";

export function isOwned(rr: Pick<RRset, "owner">, ownerId: string): boolean {
  return rr.owner === ownerId;
}

export function filterOwned(changes: Changes<RRset>, ownerId: string): Changes<RRset> {
  const updateOld: RRset[] = [];
  const updateNew: RRset[] = [];
  changes.updateOld.forEach((old, i) => {
    const next = changes.updateNew[i];
    if (next !== undefined && isOwned(old, ownerId)) {
      updateOld.push(old);
      updateNew.push({ ...next, owner: ownerId });
    }
  });
  return {
    create: changes.create.map((rr) => ({ ...rr, owner: ownerId })),
    updateOld,
    updateNew,
    delete: changes.delete.filter((rr) => isOwned(rr, ownerId)),
  };
}
