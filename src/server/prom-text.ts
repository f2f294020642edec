/**
 * @module A strict parser for the Prometheus text exposition format (0.0.4), used to check that
 * `/metrics` is valid: names, label syntax and escapes, values, TYPE/HELP placement, contiguous
 * families, no duplicate series, and histogram consistency (sorted `le`, cumulative counts,
 * `+Inf` bucket equal to `_count`). Pure: returns a result; the error names the line.
 */

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export type ParseResult = { families: Map<string, MetricFamily>; error?: undefined } | { error: string };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(s: string): number | undefined {
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (s === "NaN") return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at `i` (at the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === "}") return { labels, end: i + 1 };
    const eq = line.indexOf("=", i);
    if (eq < 0) return "label without '='";
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) return `bad label name ${JSON.stringify(name)}`;
    if (name in labels) return `duplicate label ${name}`;
    if (line[eq + 1] !== '"') return `label ${name}: value must be quoted`;
    let v = "";
    let j = eq + 2;
    for (;;) {
      const c = line[j];
      if (c === undefined) return `label ${name}: unterminated value`;
      if (c === '"') break;
      if (c === "\\") {
        const n = line[j + 1];
        if (n === "\\") v += "\\";
        else if (n === '"') v += '"';
        else if (n === "n") v += "\n";
        else return `label ${name}: bad escape \\${n ?? ""}`;
        j += 2;
      } else {
        v += c;
        j++;
      }
    }
    labels[name] = v;
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") return `label ${name}: expected ',' or '}' after the value`;
  }
}

function familyOf(sample: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const f = families.get(base);
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return base;
  }
  return sample;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

function checkHistogram(f: MetricFamily): string | undefined {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey("", rest);
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined || Number.isNaN(bound)) return `${f.name}: bucket without a numeric le`;
      g.buckets.push([bound, s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name !== `${f.name}_sum`) return `${f.name}: unexpected sample ${s.name} in a histogram`;
  }
  for (const [key, g] of groups) {
    for (let i = 1; i < g.buckets.length; i++) {
      const [prevLe, prevV] = g.buckets[i - 1]!;
      const [le, v] = g.buckets[i]!;
      if (le <= prevLe) return `${f.name}${key}: le not increasing`;
      if (v < prevV) return `${f.name}${key}: bucket counts not cumulative`;
    }
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Number.POSITIVE_INFINITY) return `${f.name}${key}: no le="+Inf" bucket`;
    if (g.count === undefined || g.count !== last[1]) return `${f.name}${key}: +Inf bucket != _count`;
  }
  return undefined;
}

export function parsePrometheusText(text: string): ParseResult {
  if (text.length > 0 && !text.endsWith("\n")) return { error: "exposition must end with a newline" };
  const families = new Map<string, MetricFamily>();
  const series = new Set<string>();
  const closed = new Set<string>();
  const typed = new Set<string>();
  let current: string | undefined;
  const lines = text.split("\n");
  lines.pop();
  const fail = (n: number, msg: string): ParseResult => ({ error: `line ${n + 1}: ${msg}` });
  const get = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: "untyped", samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const enter = (name: string): string | undefined => {
    if (current === name) return undefined;
    if (closed.has(name)) return `family ${name} is not contiguous`;
    if (current) closed.add(current);
    current = name;
    return undefined;
  };
  for (const [n, line] of lines.entries()) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) continue; // plain comment
      const [, kind, name = "", rest = ""] = m;
      if (!METRIC_NAME.test(name)) return fail(n, `bad metric name ${JSON.stringify(name)}`);
      const err = enter(name);
      if (err) return fail(n, err);
      const f = get(name);
      if (kind === "HELP") {
        if (f.help !== undefined) return fail(n, `second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) return fail(n, `bad escape in HELP of ${name}`);
        f.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
      } else {
        if (!TYPES.has(rest.trim() as MetricType)) return fail(n, `unknown TYPE ${JSON.stringify(rest)}`);
        if (f.samples.length > 0) return fail(n, `TYPE for ${name} after its samples`);
        if (typed.has(name)) return fail(n, `second TYPE for ${name}`);
        typed.add(name);
        f.type = rest.trim() as MetricType;
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) return fail(n, "expected 'name value' or 'name{labels} value'");
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) return fail(n, `bad metric name ${JSON.stringify(name)}`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === "{") {
      const r = parseLabels(line, i);
      if (typeof r === "string") return fail(n, `${name}: ${r}`);
      labels = r.labels;
      i = r.end;
    }
    const parts = line.slice(i).trim().split(/ +/);
    if (line[i] !== " " || parts.length < 1 || parts.length > 2) return fail(n, `${name}: expected a value`);
    const value = parseValue(parts[0]!);
    if (value === undefined) return fail(n, `${name}: bad value ${JSON.stringify(parts[0])}`);
    let timestamp: number | undefined;
    if (parts[1] !== undefined) {
      if (!/^-?\d+$/.test(parts[1])) return fail(n, `${name}: bad timestamp ${JSON.stringify(parts[1])}`);
      timestamp = Number(parts[1]);
    }
    const fam = familyOf(name, families);
    const err = enter(fam);
    if (err) return fail(n, err);
    const f = get(fam);
    const key = seriesKey(name, labels);
    if (series.has(key)) return fail(n, `duplicate series ${name}${JSON.stringify(labels)}`);
    series.add(key);
    if (f.type === "counter" && !(value >= 0)) return fail(n, `${name}: counter must be >= 0`);
    if (f.type === "summary" && name === fam && labels.quantile === undefined)
      return fail(n, `${name}: summary sample without quantile`);
    f.samples.push({ name, labels, value, ...(timestamp !== undefined ? { timestamp } : {}) });
  }
  for (const f of families.values()) {
    if (f.type === "histogram") {
      const err = checkHistogram(f);
      if (err) return { error: err };
    }
  }
  return { families };
}
