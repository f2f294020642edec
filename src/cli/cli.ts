/**
 * The command line: global options, one file per subcommand, and the one place where errors
 * become exit codes — 0 ok, 1 runtime failure, 2 usage or config error.
 */
import { Command, CommanderError, Option } from "commander";
import { errorMessage, PipamError } from "../lib/errors.ts";
import { registerClean } from "./clean.ts";
import type { CliContext, CliIO, GlobalOptions } from "./context.ts";
import { registerEntries } from "./entries.ts";
import { registerHealth } from "./health.ts";
import { registerMember } from "./member.ts";
import { registerOutput } from "./output.ts";
import { registerReconcile } from "./reconcile.ts";
import { registerRun } from "./run.ts";
import { registerStatus } from "./status.ts";
import { registerVersion, versionLine } from "./version.ts";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function defaultIO(): CliIO {
  return {
    out: async (text) => {
      await Bun.write(Bun.stdout, text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    env: process.env,
  };
}

const ROOT_HELP = `
Config file: --config, else $PIPAM_CONFIG, else $XDG_CONFIG_HOME/pipam/config.toml or
~/.config/pipam/config.toml if it exists, else /etc/pipam/config.toml.
Log level and format also come from $PIPAM_LOG_LEVEL / $PIPAM_LOG_FORMAT and [log].

Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.

Examples:
  pipam output                      list guests, IPs and where they came from
  pipam -c ./config.toml health     check Proxmox (and DNS/NetBox) access
  pipam reconcile --dry-run         show what would change
  pipam run                         run the daemon
  pipam status                      the running daemon's role, leader and peers
  pipam entries web                 guests named *web* with their DNS and NetBox state
  pipam member add 4 http://10.0.0.14:9180   add a node to the cluster`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("pipam")
    .description("keeps PowerDNS and NetBox in step with the VMs and containers on Proxmox VE")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        process.stdout.write(s);
      },
      writeErr: (s) => ctx.io.err(s),
    })
    .showHelpAfterError("(run with --help for usage)")
    .version(versionLine(), "-V, --version", "print the version")
    .option("-c, --config <path>", "config file (see below for the default)")
    .addOption(new Option("--log-format <format>", "log format on stderr").choices(["text", "json"]))
    .addOption(
      new Option("--log-level <level>", "lowest level logged").choices(["debug", "info", "warning", "error"]),
    )
    .addHelpText("after", ROOT_HELP);
  registerRun(program, ctx);
  registerOutput(program, ctx);
  registerReconcile(program, ctx);
  registerClean(program, ctx);
  registerHealth(program, ctx);
  registerStatus(program, ctx);
  registerEntries(program, ctx);
  registerMember(program, ctx);
  registerVersion(program, ctx);
  return program;
}

/** Maps anything thrown to an exit code, printing one clear message. */
export function exitCodeFor(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help / version).
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
    // `pipam help` exits 0; help shown because no command was given exits non-zero
    if (err.code === "commander.help") return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (err instanceof PipamError && (err.code === "config" || err.code === "usage")) {
    io.err(`pipam: ${err.message}\n`);
    return EXIT_USAGE;
  }
  let msg = `pipam: error: ${errorMessage(err)}`;
  let cause = err instanceof Error ? err.cause : undefined;
  for (let i = 0; i < 3 && cause !== undefined; i++) {
    msg += `\n  caused by: ${errorMessage(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  io.err(`${msg}\n`);
  return EXIT_FAILURE;
}

export async function runCli(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  let result = EXIT_OK;
  const ctx: CliContext = {
    io,
    globals: (cmd) => cmd.optsWithGlobals<GlobalOptions>(),
    setResult: (code) => {
      result = code ?? EXIT_OK;
    },
  };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: "user" });
    return result;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}
