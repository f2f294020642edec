import { describe, expect, test } from "bun:test";
import { createLogger, redact } from "./logger.ts";

const capture = (opts: Parameters<typeof createLogger>[0] = {}) => {
  const lines: string[] = [];
  const log = createLogger({ now: () => new Date(0), write: (l) => lines.push(l), ...opts });
  return { log, lines };
};

describe("logger", () => {
  test("levels: below the minimum is dropped", () => {
    const { log, lines } = capture({ level: "warning" });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(lines).toEqual(["1970-01-01T00:00:00.000Z WARNING w", "1970-01-01T00:00:00.000Z ERROR   e"]);
  });

  test("json format carries fields and child fields", () => {
    const { log, lines } = capture({ format: "json" });
    log.child({ cluster: "a" }).info("hi", { n: 1 });
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      ts: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "hi",
      cluster: "a",
      n: 1,
    });
  });

  test("secret-looking keys are redacted at any depth, in arrays too, cycles survive", () => {
    const cyclic: Record<string, unknown> = { name: "x" };
    cyclic.self = cyclic;
    const out = redact({
      apiKey: "k1",
      nested: { deeper: { token: "k2", url: "http://u" } },
      list: [{ secret: "k3" }, { password: "k4" }],
      cyclic,
      err: new Error("boom"),
    });
    expect(JSON.stringify(out)).not.toMatch(/k1|k2|k3|k4/);
    expect(out).toMatchObject({
      apiKey: "[redacted]",
      nested: { deeper: { token: "[redacted]", url: "http://u" } },
      err: "boom",
    });
  });

  test("known secret values are scrubbed from messages and free text, text and json", () => {
    for (const format of ["text", "json"] as const) {
      const { log, lines } = capture({ format, secrets: ["s3cr3t-value", 'q"uote"d'] });
      log.error("got s3cr3t-value back", { detail: 'x q"uote"d y', url: "http://h/?k=s3cr3t-value" });
      expect(lines[0]).toContain("[redacted]");
      expect(lines[0]).not.toContain("s3cr3t-value");
      expect(lines[0]).not.toContain("uote");
    }
  });
});
