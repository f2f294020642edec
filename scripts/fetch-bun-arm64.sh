#!/usr/bin/env bash
# Fetches the arm64 Bun runtime used for cross-compiling, from the npm registry, at the host Bun's version.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNVER="$(node_modules/.bin/bun --version)"
dest="dist/.bun-arm64-${BUNVER}"
[ -x "$dest/bun" ] && exit 0
mkdir -p "$dest"
tmp="$(mktemp -d)"
(cd "$tmp" && npm pack --silent "@oven/bun-linux-aarch64@${BUNVER}" >/dev/null)
tar -xzf "$tmp"/oven-bun-linux-aarch64-*.tgz -C "$tmp"
cp "$tmp/package/bin/bun" "$dest/bun"
chmod +x "$dest/bun"
rm -rf "$tmp"
