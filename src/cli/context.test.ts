import { describe, expect, test } from "bun:test";
import { logSettings, resolveConfigPath } from "./context.ts";

describe("resolveConfigPath", () => {
  const exists = (set: string[]) => (p: string) => set.includes(p);
  test("--config wins, then $PIPAM_CONFIG", () => {
    expect(resolveConfigPath("./x.toml", { PIPAM_CONFIG: "/y.toml" }, exists([]))).toBe("./x.toml");
    expect(resolveConfigPath(undefined, { PIPAM_CONFIG: "/y.toml" }, exists([]))).toBe("/y.toml");
  });
  test("XDG, then ~/.config, only when the file exists; else /etc", () => {
    const env = { XDG_CONFIG_HOME: "/xdg", HOME: "/home/u" };
    expect(resolveConfigPath(undefined, env, exists(["/xdg/pipam/config.toml"]))).toBe(
      "/xdg/pipam/config.toml",
    );
    expect(resolveConfigPath(undefined, env, exists(["/home/u/.config/pipam/config.toml"]))).toBe(
      "/home/u/.config/pipam/config.toml",
    );
    expect(resolveConfigPath(undefined, env, exists([]))).toBe("/etc/pipam/config.toml");
    expect(resolveConfigPath(undefined, { HOME: "/home/u" }, exists([]))).toBe("/etc/pipam/config.toml");
  });
});

describe("logSettings", () => {
  test("flag, then env, then config, then info/text", () => {
    const cfg = { log: { level: "error" as const, format: "json" as const } };
    expect(logSettings({ logLevel: "debug" }, { PIPAM_LOG_LEVEL: "warning" }, cfg).level).toBe("debug");
    expect(logSettings({}, { PIPAM_LOG_LEVEL: "WARNING" }, cfg).level).toBe("warning");
    expect(logSettings({}, {}, cfg)).toEqual({ level: "error", format: "json" });
    expect(logSettings({}, { PIPAM_LOG_FORMAT: "text" }, cfg).format).toBe("text");
    expect(logSettings({}, {}, { log: {} })).toEqual({ level: "info", format: "text" });
  });
  test("a bad env value is a usage error", () => {
    expect(() => logSettings({}, { PIPAM_LOG_LEVEL: "loud" })).toThrow(
      /PIPAM_LOG_LEVEL="loud" must be one of/,
    );
  });
});
