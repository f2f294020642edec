/** The shipped docs and example config stay true to the schema. */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { checkConfig } from "./load.ts";
import { rawConfigSchema } from "./schema.ts";

const root = resolve(import.meta.dir, "../..");
const read = (p: string) => Bun.file(resolve(root, p)).text();
/** Every secret file of the example "exists". */
const secretFiles = (p: string) => {
  if (p.startsWith("/etc/pipam/")) return "example-secret\n";
  throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
};

/** Tables (objects, records) are documented as sections, not as keys. */
function isTable(s: unknown): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod internals
  const def = (s as any)._zod.def;
  if (def.innerType) return isTable(def.innerType);
  if (def.type === "array") return isTable(def.element);
  return def.type === "object" || def.type === "record";
}

/** Every leaf key of the schema. */
function allKeys(): string[] {
  const out = new Set<string>();
  const visit = (s: unknown) => {
    // biome-ignore lint/suspicious/noExplicitAny: walking zod internals
    const def = (s as any)._zod.def;
    if (def.innerType) return visit(def.innerType);
    if (def.type === "pipe") return visit(def.in);
    if (def.type === "object") {
      for (const [k, v] of Object.entries(def.shape)) {
        if (!isTable(v)) out.add(k);
        visit(v);
      }
    } else if (def.type === "array") visit(def.element);
    else if (def.type === "record") visit(def.valueType);
  };
  visit(rawConfigSchema);
  return [...out];
}

describe("docs/configuration.md", () => {
  test("documents every key the schema accepts", async () => {
    const doc = await read("docs/configuration.md");
    const keys = allKeys();
    expect(keys.length).toBeGreaterThan(40);
    const missing = keys.filter(
      (k) => !doc.includes(`\`${k}\``) && !doc.includes(`\`tags.${k}\``) && !doc.includes(`{ ${k} = `),
    );
    expect(missing).toEqual([]);
  });

  test("its original-style example loads", async () => {
    const doc = await read("docs/configuration.md");
    const toml = doc.split("```toml\n")[1]?.split("```")[0] ?? "";
    const r = checkConfig(toml, "/etc/pipam/config.toml", {}, { readFile: secretFiles });
    expect(r.ok ? [] : r.issues).toEqual([]);
  });
});

describe("packaging/config.toml", () => {
  test("loads as shipped, with no inline secrets", async () => {
    const text = await read("packaging/config.toml");
    const r = checkConfig(text, "/etc/pipam/config.toml", {}, { readFile: secretFiles });
    expect(r.ok ? [] : r.issues).toEqual([]);
    expect(text).not.toMatch(/^\s*(token_uuid|api_key|token|secret|admin_token)\s*=/m);
  });

  test("its commented IPAM and Raft sections load when uncommented", async () => {
    const text = await read("packaging/config.toml");
    const from = text.indexOf("# IPAM (NetBox)");
    const to = text.indexOf("\n[log]");
    expect(from).toBeGreaterThan(0);
    const middle = text
      .slice(from, to)
      .split("\n")
      .map((l) => (/^# (\[|[a-z_0-9]+ = )/.test(l) ? l.slice(2) : l))
      .join("\n");
    const uncommented = text.slice(0, from) + middle + text.slice(to);
    const r = checkConfig(uncommented, "/etc/pipam/config.toml", {}, { readFile: secretFiles });
    expect(r.ok ? [] : r.issues).toEqual([]);
    if (!r.ok) return;
    expect(r.config.ipam?.netbox?.cluster).toBe("pve");
    expect(r.config.raft.nodeId).toBe(1);
    expect(r.config.raft.secret).toBe("example-secret");
    expect(Object.keys(r.config.raft.peers)).toEqual(["1", "2", "3"]);
  });
});
