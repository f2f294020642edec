/**
 * Builds a .deb from nfpm.yaml with dpkg-deb, for machines without nfpm (it is not in this
 * machine's registries). It reads the same file nfpm reads and does what nfpm's deb packager does:
 * lays out `contents` (files, config files → conffiles, dirs, symlinks) with their modes, writes
 * control, conffiles, md5sums and the maintainer scripts, and packs with dpkg-deb.
 *
 * Env expansion follows nfpm: `${VAR}` in name/arch/platform/version/release/epoch/prerelease/
 * vendor/homepage/maintainer and the package relations, and in contents src/dst only when the
 * entry has `expand: true`. Unlike nfpm, an unset variable is an error, not an empty string.
 *
 * One difference: dpkg-deb cannot record owners that do not exist on the build machine, so the
 * archive is root:root throughout (`--root-owner-group`). A path whose nfpm.yaml owner or group is
 * not root must therefore be named in the postinstall script (which sets owners with
 * dpkg-statoverride); this is checked, so installed systems end up the same with either packager.
 *
 *   bun scripts/nfpm-to-deb.ts [--config nfpm.yaml] --target dist/pipam_0.1.0_amd64.deb
 *     [--compression gzip|xz|zstd|none]   (overrides deb.compression, e.g. for fast test builds)
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";

export type ContentType = "file" | "config" | "config|noreplace" | "dir" | "symlink";

export interface Content {
  type: ContentType;
  /** Absolute source path (files) or link target (symlinks); undefined for dirs. */
  src?: string;
  dst: string;
  mode?: number;
  owner: string;
  group: string;
}

export interface DebSpec {
  name: string;
  version: string;
  arch: string;
  section?: string;
  priority?: string;
  maintainer: string;
  homepage?: string;
  description: string;
  relations: Partial<Record<Relation, string[]>>;
  contents: Content[];
  /** Debian script name (preinst, postinst, prerm, postrm) → absolute path. */
  scripts: Partial<Record<"preinst" | "postinst" | "prerm" | "postrm", string>>;
  compression: "gzip" | "xz" | "zstd" | "none";
  lintianOverrides: string[];
}

type Relation = "depends" | "recommends" | "suggests" | "conflicts" | "replaces" | "provides" | "breaks";
const RELATIONS: readonly Relation[] = [
  "depends",
  "recommends",
  "suggests",
  "conflicts",
  "replaces",
  "provides",
  "breaks",
];

/** nfpm takes Go architecture names; these are the Debian ones. */
const GOARCH_TO_DEB: Record<string, string> = {
  amd64: "amd64",
  arm64: "arm64",
  "386": "i386",
  arm5: "armel",
  arm6: "armel",
  arm7: "armhf",
  ppc64le: "ppc64el",
  s390x: "s390x",
  riscv64: "riscv64",
  all: "all",
};

const SCRIPT_NAMES = {
  preinstall: "preinst",
  postinstall: "postinst",
  preremove: "prerm",
  postremove: "postrm",
} as const;

const COMPRESSIONS: readonly DebSpec["compression"][] = ["gzip", "xz", "zstd", "none"];

export class NfpmError extends Error {}

function expandEnv(value: string, env: Record<string, string | undefined>, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => {
    const name = (a ?? b) as string;
    const v = env[name];
    if (v === undefined || v === "") throw new NfpmError(`${where}: environment variable ${name} is not set`);
    return v;
  });
}

function str(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new NfpmError(`${where}: expected a string, got ${v === undefined ? "nothing" : typeof v}`);
}

/**
 * Parses nfpm.yaml text into what goes into the .deb. `baseDir` resolves relative src paths (nfpm
 * resolves them against its working directory, which package-deb.sh sets to the repo root).
 */
export function parseNfpm(text: string, env: Record<string, string | undefined>, baseDir: string): DebSpec {
  let doc: unknown;
  try {
    // YAML 1.1, as nfpm's Go parser: `mode: 0644` is octal.
    doc = parse(text, { version: "1.1" });
  } catch (err) {
    throw new NfpmError(`nfpm.yaml: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null) throw new NfpmError("nfpm.yaml: expected a mapping");
  const y = doc as Record<string, unknown>;
  const get = (k: string, expand = true): string | undefined => {
    if (y[k] === undefined) return undefined;
    const s = str(y[k], `nfpm.yaml: ${k}`);
    return expand ? expandEnv(s, env, `nfpm.yaml: ${k}`) : s;
  };
  const need = (k: string): string => {
    const v = get(k);
    if (v === undefined || v === "") throw new NfpmError(`nfpm.yaml: ${k} is required`);
    return v;
  };

  const goarch = need("arch");
  const arch = GOARCH_TO_DEB[goarch];
  if (!arch) throw new NfpmError(`nfpm.yaml: arch: unknown architecture "${goarch}"`);
  let version = need("version");
  const prerelease = get("prerelease");
  if (prerelease) version += `~${prerelease}`;
  const release = get("release");
  if (release) version += `-${release}`;
  const epoch = get("epoch");
  if (epoch) version = `${epoch}:${version}`;
  if (!/^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$/.test(version))
    throw new NfpmError(`nfpm.yaml: version: "${version}" is not a Debian version (must start with a digit)`);

  const relations: DebSpec["relations"] = {};
  for (const r of RELATIONS) {
    const list = y[r];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new NfpmError(`nfpm.yaml: ${r}: expected a list`);
    relations[r] = list.map((v, i) =>
      expandEnv(str(v, `nfpm.yaml: ${r}[${i}]`), env, `nfpm.yaml: ${r}[${i}]`),
    );
  }

  const contents: Content[] = [];
  const rawContents = y.contents ?? [];
  if (!Array.isArray(rawContents)) throw new NfpmError("nfpm.yaml: contents: expected a list");
  rawContents.forEach((c: unknown, i: number) => {
    const where = `nfpm.yaml: contents[${i}]`;
    if (typeof c !== "object" || c === null) throw new NfpmError(`${where}: expected a mapping`);
    const e = c as Record<string, unknown>;
    const expand = e.expand === true;
    const path = (k: "src" | "dst") => {
      const s = str(e[k], `${where}.${k}`);
      return expand ? expandEnv(s, env, `${where}.${k}`) : s;
    };
    const rawType = e.type === undefined ? "file" : str(e.type, `${where}.type`);
    const type: ContentType | undefined = (
      {
        file: "file",
        "": "file",
        config: "config",
        "config|noreplace": "config|noreplace",
        dir: "dir",
        symlink: "symlink",
      } as Record<string, ContentType>
    )[rawType];
    if (!type)
      throw new NfpmError(
        `${where}.type: "${rawType}" is not supported (file, config, config|noreplace, dir, symlink)`,
      );
    const dst = path("dst");
    if (!dst.startsWith("/")) throw new NfpmError(`${where}.dst: "${dst}" must be an absolute path`);
    const fi = (e.file_info ?? {}) as Record<string, unknown>;
    let mode: number | undefined;
    if (fi.mode !== undefined) {
      mode = fi.mode as number;
      if (typeof fi.mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o7777)
        throw new NfpmError(`${where}.file_info.mode: expected an octal mode like 0644`);
    }
    const owner = fi.owner === undefined ? "root" : str(fi.owner, `${where}.file_info.owner`);
    const group = fi.group === undefined ? "root" : str(fi.group, `${where}.file_info.group`);
    const src = type === "dir" ? undefined : path("src");
    contents.push({
      type,
      dst,
      owner,
      group,
      ...(mode !== undefined ? { mode } : {}),
      ...(src !== undefined ? { src: type === "symlink" ? src : resolve(baseDir, src) } : {}),
    });
  });
  const seen = new Set<string>();
  for (const c of contents) {
    if (seen.has(c.dst)) throw new NfpmError(`nfpm.yaml: contents: ${c.dst} is listed twice`);
    seen.add(c.dst);
  }

  const scripts: DebSpec["scripts"] = {};
  const rawScripts = (y.scripts ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(rawScripts)) {
    const deb = SCRIPT_NAMES[k as keyof typeof SCRIPT_NAMES];
    if (!deb)
      throw new NfpmError(
        `nfpm.yaml: scripts.${k}: not a deb script (preinstall, postinstall, preremove, postremove)`,
      );
    scripts[deb] = resolve(baseDir, str(v, `nfpm.yaml: scripts.${k}`));
  }

  const debSection = (y.deb ?? {}) as Record<string, unknown>;
  const compression =
    debSection.compression === undefined ? "gzip" : str(debSection.compression, "nfpm.yaml: deb.compression");
  if (!COMPRESSIONS.includes(compression as DebSpec["compression"]))
    throw new NfpmError(`nfpm.yaml: deb.compression: "${compression}" (gzip, xz, zstd, none)`);
  const lo = debSection.lintian_overrides ?? [];
  if (!Array.isArray(lo)) throw new NfpmError("nfpm.yaml: deb.lintian_overrides: expected a list");

  const section = get("section");
  const priority = get("priority");
  const homepage = get("homepage");
  return {
    name: need("name"),
    version,
    arch,
    maintainer: need("maintainer"),
    description: get("description", false) ?? "no description given",
    relations,
    contents,
    scripts,
    compression: compression as DebSpec["compression"],
    lintianOverrides: lo.map((v, i) => str(v, `nfpm.yaml: deb.lintian_overrides[${i}]`)),
    ...(section ? { section } : {}),
    ...(priority ? { priority } : {}),
    ...(homepage ? { homepage } : {}),
  };
}

/** Debian's multi-line field format: continuation lines start with a space, empty ones are " .". */
function multiline(text: string): string {
  const [first = "", ...rest] = text.trim().split("\n");
  return [first, ...rest.map((l) => (l.trim() === "" ? " ." : ` ${l.trimEnd()}`))].join("\n");
}

/** The DEBIAN/control file. */
export function controlFile(spec: DebSpec, installedSizeKiB: number): string {
  const f: [string, string | undefined][] = [
    ["Package", spec.name],
    ["Version", spec.version],
    ["Section", spec.section],
    ["Priority", spec.priority],
    ["Architecture", spec.arch],
    ["Maintainer", spec.maintainer],
    ["Installed-Size", String(installedSizeKiB)],
    ...RELATIONS.map((r): [string, string | undefined] => [
      r[0]!.toUpperCase() + r.slice(1),
      spec.relations[r]?.length ? spec.relations[r]!.join(", ") : undefined,
    ]),
    ["Homepage", spec.homepage],
    ["Description", multiline(spec.description)],
  ];
  return `${f
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n")}\n`;
}

/**
 * Paths whose owner or group is not root but which the postinst does not mention (it must set
 * them, since the archive is root-owned). Empty when all is well.
 */
export function unownedPaths(spec: DebSpec, postinst: string): string[] {
  return spec.contents
    .filter((c) => c.type !== "symlink" && (c.owner !== "root" || c.group !== "root"))
    .filter(
      (c) =>
        !new RegExp(`[\\s'"]${c.dst.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|['"]|$)`, "m").test(postinst),
    )
    .map((c) => `${c.dst} (${c.owner}:${c.group})`);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "pipe"] });
  if (r.error) throw new NfpmError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new NfpmError(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

/** Lays out the tree and runs dpkg-deb. Returns the target path. */
export function buildDeb(spec: DebSpec, target: string): string {
  const root = mkdtempSync(join(tmpdir(), "nfpm-to-deb-"));
  try {
    const debian = join(root, "DEBIAN");
    mkdirSync(debian, { mode: 0o755 });
    const md5: string[] = [];
    const conffiles: string[] = [];
    let sizeKiB = 0;
    // Dirs first (parents before children), then files, so modes of listed dirs win.
    const ordered = [...spec.contents].sort(
      (a, b) => Number(b.type === "dir") - Number(a.type === "dir") || a.dst.localeCompare(b.dst),
    );
    for (const c of ordered) {
      const out = join(root, c.dst);
      mkdirSync(dirname(out), { recursive: true, mode: 0o755 });
      if (c.type === "dir") {
        mkdirSync(out, { recursive: true });
        chmodSync(out, c.mode ?? 0o755);
        sizeKiB += 1;
        continue;
      }
      if (c.type === "symlink") {
        symlinkSync(c.src!, out);
        continue;
      }
      const src = c.src!;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(src);
      } catch {
        throw new NfpmError(`contents ${c.dst}: source ${src} does not exist`);
      }
      if (!st.isFile()) throw new NfpmError(`contents ${c.dst}: source ${src} is not a regular file`);
      copyFileSync(src, out);
      chmodSync(out, c.mode ?? st.mode & 0o7777);
      sizeKiB += Math.ceil(st.size / 1024);
      md5.push(`${createHash("md5").update(readFileSync(out)).digest("hex")}  ${c.dst.slice(1)}`);
      if (c.type === "config" || c.type === "config|noreplace") conffiles.push(c.dst);
    }
    if (spec.lintianOverrides.length > 0) {
      const p = join(root, "usr/share/lintian/overrides", spec.name);
      mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
      writeFileSync(p, `${spec.lintianOverrides.join("\n")}\n`, { mode: 0o644 });
    }
    // Implicit parent dirs are 0755 whatever the umask.
    const fixDirs = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const p = join(d, e.name);
        const rel = `/${p.slice(root.length + 1)}`;
        if (rel !== "/DEBIAN" && !spec.contents.some((c) => c.dst === rel)) chmodSync(p, 0o755);
        fixDirs(p);
      }
    };
    fixDirs(root);
    chmodSync(root, 0o755);

    writeFileSync(join(debian, "control"), controlFile(spec, Math.max(sizeKiB, 1)), { mode: 0o644 });
    writeFileSync(
      join(debian, "md5sums"),
      `${md5.sort((a, b) => a.slice(34).localeCompare(b.slice(34))).join("\n")}\n`,
      {
        mode: 0o644,
      },
    );
    if (conffiles.length > 0)
      writeFileSync(join(debian, "conffiles"), `${conffiles.join("\n")}\n`, { mode: 0o644 });
    for (const [name, path] of Object.entries(spec.scripts)) {
      copyFileSync(path, join(debian, name));
      chmodSync(join(debian, name), 0o755);
    }

    mkdirSync(dirname(resolve(target)), { recursive: true });
    // Level 6 for gzip and xz, as nfpm (Go's default gzip level; xz's default preset).
    const level = spec.compression === "gzip" || spec.compression === "xz" ? ["-z6"] : [];
    run("dpkg-deb", [
      "--root-owner-group",
      `-Z${spec.compression}`,
      ...level,
      "--build",
      root,
      resolve(target),
    ]);
    return target;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const config = resolve(opt("--config") ?? "nfpm.yaml");
  const target = opt("--target");
  if (!target) {
    console.error("usage: bun scripts/nfpm-to-deb.ts [--config nfpm.yaml] --target <file.deb>");
    process.exit(2);
  }
  try {
    const parsed = parseNfpm(readFileSync(config, "utf8"), process.env, process.cwd());
    const compression = opt("--compression");
    if (compression !== undefined && !COMPRESSIONS.includes(compression as DebSpec["compression"]))
      throw new NfpmError(`--compression: "${compression}" (gzip, xz, zstd, none)`);
    const spec = compression ? { ...parsed, compression: compression as DebSpec["compression"] } : parsed;
    const postinst = spec.scripts.postinst ? readFileSync(spec.scripts.postinst, "utf8") : "";
    const missing = unownedPaths(spec, postinst);
    if (missing.length > 0)
      throw new NfpmError(
        `these paths are not root-owned in ${config} but the postinstall script does not set their owners: ${missing.join(", ")}`,
      );
    buildDeb(spec, target);
    console.log(`nfpm-to-deb: ${target}`);
  } catch (err) {
    console.error(`nfpm-to-deb: ${err instanceof NfpmError ? err.message : String(err)}`);
    process.exit(1);
  }
}
