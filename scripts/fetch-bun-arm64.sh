#!/usr/bin/env bash
# Fetches the aarch64 Bun runtime used to cross-compile pipam for arm64, from the npm registry,
# at exactly the host Bun's version (bun build --compile needs the two to match), into
# dist/.bun-arm64-<version>/bun. `npm install` refuses the package (cpu field), so `npm pack` it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNVER="$(node_modules/.bin/bun --version)"
dest="dist/.bun-arm64-${BUNVER}"
[ -x "$dest/bun" ] && exit 0
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "@oven/bun-linux-aarch64@${BUNVER}" >/dev/null); then
  echo "fetch-bun-arm64: cannot fetch @oven/bun-linux-aarch64@${BUNVER} from the npm registry" >&2
  exit 1
fi
tar -xzf "$tmp"/oven-bun-linux-aarch64-*.tgz -C "$tmp"
# ELF e_machine (bytes 18-19) must be 0xb7 (aarch64).
if [ "$(od -An -tx1 -j18 -N2 "$tmp/package/bin/bun" | tr -d ' \n')" != "b700" ]; then
  echo "fetch-bun-arm64: $tmp/package/bin/bun is not an aarch64 executable" >&2
  exit 1
fi
cp "$tmp/package/bin/bun" "$dest/bun.part"
chmod +x "$dest/bun.part"
mv "$dest/bun.part" "$dest/bun"
