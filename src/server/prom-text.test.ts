import { describe, expect, test } from "bun:test";
import { parsePrometheusText } from "./prom-text.ts";

const GOOD = `# HELP req_total Requests.\\nSecond line with \\\\ backslash
# TYPE req_total counter
req_total{code="200",path="/a \\"q\\"\\\\x\\n"} 3
req_total{code="500",} 1 1700000000000

# TYPE temp gauge
temp -1.5e3
temp{room="b"} NaN
# a plain comment
# TYPE lat histogram
lat_bucket{le="0.1"} 1
lat_bucket{le="1"} 2
lat_bucket{le="+Inf"} 4
lat_sum 7.5
lat_count 4
# TYPE s summary
s{quantile="0.5"} 1
s_sum 3
s_count 2
`;

describe("parsePrometheusText", () => {
  test("parses a valid exposition with escapes, timestamps, every type", () => {
    const r = parsePrometheusText(GOOD);
    if (r.error !== undefined) throw new Error(r.error);
    const req = r.families.get("req_total")!;
    expect(req.type).toBe("counter");
    expect(req.help).toBe("Requests.\nSecond line with \\ backslash");
    expect(req.samples[0]!.labels.path).toBe('/a "q"\\x\n');
    expect(req.samples[1]!.timestamp).toBe(1700000000000);
    expect(r.families.get("temp")!.samples[0]!.value).toBe(-1500);
    expect(Number.isNaN(r.families.get("temp")!.samples[1]!.value)).toBe(true);
    const lat = r.families.get("lat")!;
    expect(lat.type).toBe("histogram");
    expect(lat.samples.map((s) => s.name)).toEqual([
      "lat_bucket",
      "lat_bucket",
      "lat_bucket",
      "lat_sum",
      "lat_count",
    ]);
    expect(r.families.get("s")!.samples).toHaveLength(3);
  });

  const bad: [string, string, RegExp][] = [
    ["no trailing newline", "a 1", /newline/],
    ["bad metric name", "1abc 1\n", /expected|bad metric name/],
    ["bad label name", 'a{1x="y"} 1\n', /bad label name/],
    ["reserved label", 'a{__x="y"} 1\n', /bad label name/],
    ["unquoted label", "a{x=y} 1\n", /quoted/],
    ["bad escape", 'a{x="\\t"} 1\n', /bad escape/],
    ["unterminated", 'a{x="y} 1\n', /unterminated|expected/],
    ["duplicate label", 'a{x="1",x="2"} 1\n', /duplicate label/],
    ["bad value", "a 1x\n", /bad value/],
    ["missing value", "a\n", /expected/],
    ["bad timestamp", "a 1 1.5\n", /bad timestamp/],
    ["unknown type", "# TYPE a countr\na 1\n", /unknown TYPE/],
    ["type after samples", "a 1\n# TYPE a gauge\n", /after its samples|not contiguous/],
    ["second type", "# TYPE a gauge\n# TYPE a gauge\na 1\n", /second TYPE/],
    ["second help", "# HELP a x\n# HELP a y\na 1\n", /second HELP/],
    ["duplicate series", 'a{x="1"} 1\na{x="1"} 2\n', /duplicate series/],
    ["interleaved families", 'a 1\nb 1\na{x="2"} 1\n', /not contiguous/],
    ["negative counter", "# TYPE c counter\nc -1\n", /counter must be >= 0/],
    ["no +Inf bucket", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    [
      "not cumulative",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
      /cumulative/,
    ],
    [
      "le not sorted",
      '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_count 1\n',
      /increasing/,
    ],
    ["count mismatch", '# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_count 2\n', /_count/],
    ["summary without quantile", "# TYPE s summary\ns 1\n", /quantile/],
  ];
  for (const [name, text, re] of bad) {
    test(`rejects: ${name}`, () => {
      const r = parsePrometheusText(text);
      expect(r.error).toMatch(re);
    });
  }
});
