/**
 * Runs a command under the seccomp part of packaging/pipam.service without systemd (which is not
 * PID 1 on the build machine): the unit's SystemCallFilter= (allow-list, then ~ removals, with
 * SystemCallErrorNumber=EPERM), SystemCallArchitectures=native and RestrictAddressFamilies=, plus
 * NoNewPrivileges. With --mdwe it also sets the kernel's memory-deny-write-execute (PR_SET_MDWE,
 * Linux ≥ 6.3), the same W^X rule as the unit option MemoryDenyWriteExecute=yes.
 * The user switch and capability drop are done around it with setpriv by the caller.
 *
 *   bun test/packaging/sandbox.ts [--unit packaging/pipam.service] [--mdwe] -- <command> [args...]
 *
 * Filters and no_new_privs are inherited by the child. Exit code: the child's (or 127 on setup).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const EPERM = 1;
const SCMP_ACT_ALLOW = 0x7fff0000;
const SCMP_ACT_ERRNO = (e: number) => 0x00050000 | (e & 0xffff);
const SCMP_CMP_EQ = 4;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_SET_MDWE = 65;
const PR_MDWE_REFUSE_EXEC_GAIN = 1;
const FAMILIES: Record<string, number> = {
  AF_UNIX: 1,
  AF_LOCAL: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
  AF_PACKET: 17,
};

/** Every syscall in a systemd group, nested groups expanded (from `systemd-analyze syscall-filter`). */
export function syscallGroups(): Map<string, string[]> {
  const out = spawnSync("systemd-analyze", ["syscall-filter"], { encoding: "utf8" }).stdout;
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    if (/^@\S+/.test(line)) {
      current = [];
      groups.set(line.trim(), current);
    } else if (/^\s+[@a-z_0-9]/.test(line) && current) current.push(line.trim());
  }
  return groups;
}

function expand(item: string, groups: Map<string, string[]>, seen = new Set<string>()): string[] {
  if (!item.startsWith("@")) return [item];
  if (seen.has(item)) return [];
  seen.add(item);
  const members = groups.get(item);
  if (!members) throw new Error(`unknown syscall group ${item}`);
  return members.flatMap((m) => expand(m, groups, seen));
}

export interface UnitSeccomp {
  allow: Set<string>;
  families: number[];
  errno: number;
}

/** The unit's syscall allow-list and address families, as systemd computes them. */
export function unitSeccomp(unitText: string, groups = syscallGroups()): UnitSeccomp {
  let allow: Set<string> | undefined;
  let families: number[] = [];
  for (const raw of unitText.split("\n")) {
    const m = /^\s*(SystemCallFilter|RestrictAddressFamilies)=(.*)$/.exec(raw);
    if (!m) continue;
    const value = m[2]!.trim();
    if (m[1] === "RestrictAddressFamilies") {
      families = value.split(/\s+/).map((f) => {
        const n = FAMILIES[f];
        if (n === undefined) throw new Error(`unknown address family ${f}`);
        return n;
      });
      continue;
    }
    const deny = value.startsWith("~");
    const items = (deny ? value.slice(1) : value).split(/\s+/).filter(Boolean);
    const names = items.flatMap((i) => expand(i, groups));
    if (deny) {
      if (!allow)
        throw new Error("a deny-list SystemCallFilter= before any allow-list is not supported here");
      for (const n of names) allow.delete(n);
    } else {
      allow ??= new Set();
      for (const n of names) allow.add(n);
    }
  }
  if (!allow) throw new Error("the unit has no SystemCallFilter=");
  return { allow, families, errno: /SystemCallErrorNumber=EPERM/.test(unitText) ? EPERM : 0 };
}

function apply(sc: UnitSeccomp, mdwe: boolean): void {
  const libc = dlopen("libc.so.6", {
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  });
  const lib = dlopen("libseccomp.so.2", {
    seccomp_init: { args: [FFIType.u32], returns: FFIType.ptr },
    seccomp_syscall_resolve_name: { args: [FFIType.cstring], returns: FFIType.i32 },
    seccomp_rule_add_array: {
      args: [FFIType.ptr, FFIType.u32, FFIType.i32, FFIType.u32, FFIType.ptr],
      returns: FFIType.i32,
    },
    seccomp_load: { args: [FFIType.ptr], returns: FFIType.i32 },
  });
  const s = lib.symbols;
  if (libc.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0)
    throw new Error("prctl(NO_NEW_PRIVS) failed");
  const ctx = s.seccomp_init(sc.errno ? SCMP_ACT_ERRNO(sc.errno) : 0 /* KILL_THREAD */);
  if (!ctx) throw new Error("seccomp_init failed");
  const cstr = (x: string) => ptr(Buffer.from(`${x}\0`));
  for (const name of sc.allow) {
    const nr = s.seccomp_syscall_resolve_name(cstr(name));
    if (nr < 0) continue; // not a syscall on this architecture
    if (name === "socket" && sc.families.length > 0) {
      for (const fam of sc.families) {
        // struct scmp_arg_cmp { unsigned int arg; enum scmp_compare op; u64 datum_a; u64 datum_b; }
        const cmp = Buffer.alloc(24);
        cmp.writeUInt32LE(0, 0);
        cmp.writeUInt32LE(SCMP_CMP_EQ, 4);
        cmp.writeBigUInt64LE(BigInt(fam), 8);
        if (s.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, ptr(cmp)) !== 0)
          throw new Error("rule socket");
      }
      continue;
    }
    const rc = s.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, null);
    if (rc !== 0) throw new Error(`seccomp_rule_add ${name}: ${rc}`);
  }
  if (s.seccomp_load(ctx) !== 0) throw new Error("seccomp_load failed");
  if (mdwe && libc.symbols.prctl(PR_SET_MDWE, BigInt(PR_MDWE_REFUSE_EXEC_GAIN), 0n, 0n, 0n) !== 0)
    throw new Error("prctl(PR_SET_MDWE) failed (Linux ≥ 6.3 needed)");
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const dd = argv.indexOf("--");
  const opts = dd >= 0 ? argv.slice(0, dd) : [];
  const cmd = dd >= 0 ? argv.slice(dd + 1) : argv;
  const ui = opts.indexOf("--unit");
  const unit = ui >= 0 ? opts[ui + 1]! : "packaging/pipam.service";
  if (cmd.length === 0) {
    console.error("usage: bun test/packaging/sandbox.ts [--unit FILE] [--mdwe] -- <command> [args...]");
    process.exit(2);
  }
  try {
    apply(unitSeccomp(readFileSync(unit, "utf8")), opts.includes("--mdwe"));
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}`);
    process.exit(127);
  }
  const child = Bun.spawn(cmd, { stdio: ["inherit", "inherit", "inherit"] });
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => child.kill(sig));
  const code = await child.exited;
  process.exit(child.signalCode ? 128 + 15 : code);
}
