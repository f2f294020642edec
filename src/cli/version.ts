import type { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import type { CliContext } from "./context.ts";

// Defined at build time by scripts/build.sh (`bun build --define`); absent in dev.
declare const PIPAM_VERSION: string | undefined;
declare const PIPAM_COMMIT: string | undefined;

export interface VersionInfo {
  version: string;
  commit: string;
  bun: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  return {
    version: typeof PIPAM_VERSION === "string" ? PIPAM_VERSION : `${pkg.version}-dev`,
    commit: typeof PIPAM_COMMIT === "string" ? PIPAM_COMMIT : "unknown",
    bun: Bun.version,
    platform: `${process.platform}/${process.arch}`,
  };
}

export function versionLine(v: VersionInfo = versionInfo()): string {
  return `pipam ${v.version} (commit ${v.commit}, bun ${v.bun}, ${v.platform})`;
}

export function registerVersion(program: Command, ctx: CliContext): void {
  program
    .command("version")
    .description("print the version, commit and runtime")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nExamples:\n  pipam version\n  pipam version --json")
    .action(async (opts: { json?: boolean }) => {
      const v = versionInfo();
      await ctx.io.out(opts.json ? `${JSON.stringify(v)}\n` : `${versionLine(v)}\n`);
    });
}
