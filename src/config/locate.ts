/**
 * Finds the line of a key path in TOML source. smol-toml reports positions only for syntax
 * errors, so validation errors use this small line scanner to say where a key is. It understands
 * tables, arrays of tables (`[[proxmox]]` → index), dotted and quoted keys, multi-line strings and
 * arrays (elements of a multi-line array get their own line); anything deeper falls back to the
 * nearest enclosing key.
 */

export type KeyPath = readonly (string | number)[];

export interface KeyLocator {
  /** 1-based line of the key (or of the closest enclosing key/table); undefined when not found. */
  lineOf(path: KeyPath): number | undefined;
}

const BARE = /[A-Za-z0-9_-]/;

/** Parses a (dotted) key starting at `i`; returns the parts and the index after the key. */
function parseKey(s: string, i: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  for (;;) {
    while (s[i] === " " || s[i] === "\t") i++;
    const c = s[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      let out = "";
      while (j < s.length && s[j] !== c) {
        if (c === '"' && s[j] === "\\" && j + 1 < s.length) {
          const e = s[j + 1] as string;
          out += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else out += s[j++];
      }
      if (j >= s.length) return undefined;
      parts.push(out);
      i = j + 1;
    } else if (c !== undefined && BARE.test(c)) {
      let j = i;
      while (j < s.length && BARE.test(s[j] as string)) j++;
      parts.push(s.slice(i, j));
      i = j;
    } else return undefined;
    while (s[i] === " " || s[i] === "\t") i++;
    if (s[i] !== ".") return { parts, end: i };
    i++;
  }
}

const keyOf = (p: KeyPath) => JSON.stringify(p);

export function createKeyLocator(text: string): KeyLocator {
  const lines = new Map<string, number>();
  const record = (path: KeyPath, line: number) => {
    const k = keyOf(path);
    if (!lines.has(k)) lines.set(k, line);
  };
  const arrays = new Map<string, number>(); // array-of-tables path (unindexed) → count
  /** Inserts the current index after every prefix that is an array of tables. */
  const resolve = (parts: string[]): (string | number)[] => {
    const out: (string | number)[] = [];
    const plain: string[] = [];
    for (const p of parts) {
      out.push(p);
      plain.push(p);
      const n = arrays.get(keyOf(plain));
      if (n !== undefined && n > 0) out.push(n - 1);
    }
    return out;
  };

  let table: (string | number)[] = [];
  let depth = 0;
  let multi: '"""' | "'''" | undefined;
  let arr: { path: (string | number)[]; index: number; pending: boolean } | undefined;

  /** Scans value text for strings, comments and brackets, keeping state across lines. */
  const scan = (s: string, from: number, line: number) => {
    let i = from;
    while (i < s.length) {
      if (multi) {
        const end = s.indexOf(multi, i);
        if (end < 0) return;
        i = end + 3;
        multi = undefined;
        continue;
      }
      const c = s[i] as string;
      if (c === "#") return;
      if (arr?.pending && depth === 1 && c !== " " && c !== "\t" && c !== "]" && c !== ",") {
        record([...arr.path, arr.index], line);
        arr.pending = false;
      }
      if (s.startsWith('"""', i) || s.startsWith("'''", i)) {
        multi = s.slice(i, i + 3) as '"""' | "'''";
        i += 3;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < s.length && s[j] !== c) j += c === '"' && s[j] === "\\" ? 2 : 1;
        i = j + 1;
      } else if (c === "[" || c === "{") {
        depth++;
        i++;
      } else if (c === "]" || c === "}") {
        depth = Math.max(0, depth - 1);
        if (depth === 0) arr = undefined;
        i++;
      } else {
        if (c === "," && depth === 1 && arr) {
          arr.index++;
          arr.pending = true;
        }
        i++;
      }
    }
  };

  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    if (multi || depth > 0) {
      scan(raw, 0, line);
      return;
    }
    const s = raw.trimStart();
    if (s === "" || s.startsWith("#")) return;
    if (s.startsWith("[[")) {
      const k = parseKey(s, 2);
      if (!k) return;
      const parent = resolve(k.parts.slice(0, -1));
      const plainKey = keyOf(k.parts);
      const n = arrays.get(plainKey) ?? 0;
      arrays.set(plainKey, n + 1);
      table = [...parent, k.parts[k.parts.length - 1] as string, n];
      record(table.slice(0, -1), line);
      record(table, line);
      return;
    }
    if (s.startsWith("[")) {
      const k = parseKey(s, 1);
      if (!k) return;
      table = resolve(k.parts);
      record(table, line);
      return;
    }
    const k = parseKey(s, 0);
    if (!k || s[k.end] !== "=") return;
    const path = [...table, ...k.parts];
    record(path, line);
    let v = k.end + 1;
    while (s[v] === " " || s[v] === "\t") v++;
    if (s[v] === "[") arr = { path, index: 0, pending: true };
    scan(s, v, line);
  });

  return {
    lineOf(path) {
      for (let n = path.length; n > 0; n--) {
        const l = lines.get(keyOf(path.slice(0, n)));
        if (l !== undefined) return l;
      }
      return undefined;
    },
  };
}
