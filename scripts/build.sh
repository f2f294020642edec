#!/usr/bin/env bash
# Builds the single pipam binary with `bun build --compile` → dist/pipam (or dist/pipam-arm64).
#   ARCH=amd64 (default) | arm64   — arm64 is cross-compiled offline with the runtime from the npm
#   package @oven/bun-linux-aarch64 at exactly the host Bun's version (never `strip` the result).
#   PIPAM_VERSION=x.y.z (default: package.json)   PIPAM_DIST=<dir> output dir (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
ARCH="${ARCH:-amd64}"
VERSION="${PIPAM_VERSION:-$(node -p 'require("./package.json").version')}"
COMMIT="${PIPAM_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
DIST="${PIPAM_DIST:-dist}"
mkdir -p "$DIST"
args=(build --compile --minify --bytecode --format=esm
  --define "PIPAM_VERSION=\"${VERSION}\"" --define "PIPAM_COMMIT=\"${COMMIT}\"")
# Drizzle migrations are embedded as a real directory (/$bunfs/root/drizzle) for drizzle's migrator.
[ -d src/db/drizzle ] && args+=(--asset ./src/db/drizzle)
out="$DIST/pipam"
if [ "$ARCH" = arm64 ]; then
  bash scripts/fetch-bun-arm64.sh
  BUNVER="$($BUN --version)"
  args+=(--target=bun-linux-arm64 "--compile-executable-path=dist/.bun-arm64-${BUNVER}/bun")
  out="$DIST/pipam-arm64"
elif [ "$ARCH" != amd64 ]; then
  echo "build: unknown ARCH=$ARCH (amd64|arm64)" >&2; exit 2
fi
"$BUN" "${args[@]}" src/main.ts --outfile "$out"
echo "build: $out ($(du -h "$out" | cut -f1))"
