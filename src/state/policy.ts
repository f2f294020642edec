/**
 * Safety policies turn one Changes into another (external-dns's plan/policy.go):
 *  * `sync`: everything;
 *  * `upsert-only`: creates and updates, never deletes;
 *  * `create-only`: creates only.
 */
import type { Changes, Policy } from "./model.ts";

export function applyPolicy<T>(policy: Policy, c: Changes<T>): Changes<T> {
  switch (policy) {
    case "sync":
      return { create: c.create, updateOld: c.updateOld, updateNew: c.updateNew, delete: c.delete };
    case "upsert-only":
      return { create: c.create, updateOld: c.updateOld, updateNew: c.updateNew, delete: [] };
    case "create-only":
      return { create: c.create, updateOld: [], updateNew: [], delete: [] };
  }
}

export const POLICIES: readonly Policy[] = ["sync", "upsert-only", "create-only"];

export function isPolicy(s: string): s is Policy {
  return (POLICIES as readonly string[]).includes(s);
}
