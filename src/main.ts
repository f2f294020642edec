// Entry point of the pipam binary: the CLI decides everything, including the exit code.
import { runCli } from "./cli/cli.ts";

process.exit(await runCli(process.argv.slice(2)));
