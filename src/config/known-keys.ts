/** Walks the zod schema to list the keys allowed at a path (for "did you mean" hints). */
import type { z } from "zod";
import type { KeyPath } from "./locate.ts";

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    const next = d.innerType ?? (d.type === "pipe" ? d.in : undefined);
    if (!next) return s;
    s = next;
  }
  return s;
}

/** The schema at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: KeyPath): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    if (!s) return undefined;
    const d = defOf(s);
    if (d.type === "object" && typeof seg === "string") s = d.shape?.[seg];
    else if (d.type === "array") s = d.element;
    else if (d.type === "record") s = d.valueType;
    else return undefined;
    if (s) s = unwrap(s);
  }
  return s;
}

export function knownKeys(root: z.ZodType, path: KeyPath): string[] {
  const s = schemaAt(root, path);
  if (!s) return [];
  const d = defOf(s);
  return d.type === "object" ? Object.keys(d.shape ?? {}) : [];
}

/** Every table path where `key` is allowed, e.g. "node_id" → ["raft"]. */
export function whereKeyBelongs(root: z.ZodType, key: string): string[] {
  const out: string[] = [];
  const visit = (s: z.ZodType, at: string[], depth: number) => {
    if (depth > 6) return;
    const d = defOf(unwrap(s));
    if (d.type === "object") {
      for (const [k, v] of Object.entries(d.shape ?? {})) {
        if (k === key) out.push(at.join("."));
        visit(v, [...at, k], depth + 1);
      }
    } else if (d.type === "array" && d.element) visit(d.element, at, depth + 1);
    else if (d.type === "record" && d.valueType) visit(d.valueType, [...at, "<name>"], depth + 1);
  };
  visit(root, [], 0);
  return out;
}
