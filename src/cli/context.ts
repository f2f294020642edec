/**
 * What every subcommand shares: global options, the config path search, loading the config
 * and building the logger. Kept light (no heavy imports) so `--help` stays fast.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Config } from "../config/index.ts";
import { PipamError } from "../lib/errors.ts";
import type { LogFormat, Logger, LogLevel } from "../log/logger.ts";

export interface GlobalOptions {
  config?: string;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
}

export interface CliIO {
  /** Writes to stdout and resolves once written. */
  out(text: string): Promise<void>;
  /** Writes to stderr. */
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** A subcommand's result: the exit code for outcomes that are not errors (e.g. failed checks). */
export type ActionResult = number | undefined;

export interface CliContext {
  io: CliIO;
  /** Global options merged from the root command. */
  globals(cmd: Command): GlobalOptions;
  /** Records the exit code an action produced. */
  setResult(code: ActionResult): void;
}

/**
 * The config file: --config, else $PIPAM_CONFIG, else $XDG_CONFIG_HOME/pipam/config.toml or
 * ~/.config/pipam/config.toml when it exists, else /etc/pipam/config.toml.
 */
export function resolveConfigPath(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  exists: (p: string) => boolean = existsSync,
): string {
  if (flag) return flag;
  if (env.PIPAM_CONFIG) return env.PIPAM_CONFIG;
  const candidates: string[] = [];
  if (env.XDG_CONFIG_HOME) candidates.push(join(env.XDG_CONFIG_HOME, "pipam", "config.toml"));
  const home = env.HOME ?? homedir();
  if (home) candidates.push(join(home, ".config", "pipam", "config.toml"));
  for (const c of candidates) if (exists(c)) return c;
  return "/etc/pipam/config.toml";
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];
const FORMATS: readonly LogFormat[] = ["text", "json"];

/** Level and format: flag, then $PIPAM_LOG_LEVEL / $PIPAM_LOG_FORMAT, then [log], then info/text. */
export function logSettings(
  g: GlobalOptions,
  env: Record<string, string | undefined>,
  cfg?: Pick<Config, "log">,
): { level: LogLevel; format: LogFormat } {
  const envLevel = env.PIPAM_LOG_LEVEL?.toLowerCase();
  const envFormat = env.PIPAM_LOG_FORMAT?.toLowerCase();
  if (envLevel && !LEVELS.includes(envLevel as LogLevel)) {
    throw new PipamError("usage", `PIPAM_LOG_LEVEL="${envLevel}" must be one of ${LEVELS.join(", ")}`);
  }
  if (envFormat && !FORMATS.includes(envFormat as LogFormat)) {
    throw new PipamError("usage", `PIPAM_LOG_FORMAT="${envFormat}" must be one of ${FORMATS.join(", ")}`);
  }
  return {
    level: g.logLevel ?? (envLevel as LogLevel | undefined) ?? cfg?.log.level ?? "info",
    format: g.logFormat ?? (envFormat as LogFormat | undefined) ?? cfg?.log.format ?? "text",
  };
}

/** Loads the config and builds a logger that can never print its secrets. */
export async function loadForCommand(
  g: GlobalOptions,
  io: CliIO,
): Promise<{ config: Config; logger: Logger; path: string }> {
  const { loadConfig, configSecrets } = await import("../config/index.ts");
  const { createLogger } = await import("../log/logger.ts");
  const path = resolveConfigPath(g.config, io.env);
  const config = await loadConfig(path, io.env);
  const logger = createLogger({ ...logSettings(g, io.env, config), secrets: configSecrets(config) });
  logger.debug("config loaded", { path, config });
  for (const w of config.warnings) logger.warn(w);
  return { config, logger, path };
}
