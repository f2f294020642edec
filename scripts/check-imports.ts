/**
 * Enforces the layering of DESIGN.md: leaves import nothing of ours outside themselves, and pure
 * modules import no I/O. Run: bun scripts/check-imports.ts (exit 1 on a violation).
 */

import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const root = resolve(import.meta.dir, "..");
interface Rule {
  dir: string;
  /** our folders this one may import from (besides itself) */
  allow: string[];
  /** import specifiers that are never allowed (prefix match) */
  deny: string[];
}
const rules: Rule[] = [
  {
    dir: "src/raft/core",
    allow: [],
    deny: ["bun", "bun:", "node:", "drizzle-orm", "@connectrpc", "@bufbuild"],
  },
  { dir: "src/state", allow: ["src/lib"], deny: ["bun:", "node:", "drizzle-orm", "@connectrpc"] },
  { dir: "src/config", allow: ["src/lib"], deny: [] },
  { dir: "src/lib", allow: [], deny: [] },
  { dir: "src/log", allow: ["src/lib"], deny: [] },
];

const importRe = /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
let violations = 0;
for (const rule of rules) {
  const glob = new Glob(`${rule.dir}/**/*.ts`);
  for await (const file of glob.scan({ cwd: root })) {
    if (file.endsWith(".test.ts")) continue;
    const text = await Bun.file(join(root, file)).text();
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? "";
      if (spec.startsWith(".")) {
        const target = relative(root, resolve(root, dirname(file), spec));
        const ok = target.startsWith(rule.dir) || rule.allow.some((a) => target.startsWith(a));
        if (!ok) {
          console.error(`${file}: imports ${spec} (${target}), outside what ${rule.dir} may use`);
          violations++;
        }
      } else if (
        rule.deny.some((d) => spec === d || spec.startsWith(d.endsWith(":") ? d : `${d}/`) || spec === d)
      ) {
        console.error(`${file}: imports ${spec}, which ${rule.dir} must not use`);
        violations++;
      }
    }
  }
}
if (violations > 0) process.exit(1);
console.log("import rules: ok");
