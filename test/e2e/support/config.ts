/** Config files for the binary e2e tests: a temp dir, secret files (mode 0600), the TOML file. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ConfigDir {
  dir: string;
  /** Writes a secret file (0600) and returns its absolute path. */
  secret(name: string, value: string): string;
  /** Writes `config.toml` (or `name`) and returns its absolute path. */
  config(toml: string, name?: string): string;
  remove(): void;
}

export function configDir(prefix = "pipam-e2e-"): ConfigDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    secret(name, value) {
      const p = join(dir, name);
      writeFileSync(p, `${value}\n`, { mode: 0o600 });
      chmodSync(p, 0o600);
      return p;
    },
    config(toml, name = "config.toml") {
      const p = join(dir, name);
      writeFileSync(p, toml, { mode: 0o600 });
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TOML basic string (quotes and backslashes escaped). */
export const q = (s: string): string => JSON.stringify(s);
