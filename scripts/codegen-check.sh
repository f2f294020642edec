#!/usr/bin/env bash
# Fails when src/gen is stale: regenerates into a temp copy and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
before="$(mktemp -d)"
cp -r src/gen/. "$before/" 2>/dev/null || true
buf generate
if ! diff -r "$before" src/gen >/dev/null; then
  diff -r "$before" src/gen | head -20 >&2
  echo "codegen: src/gen is stale; run 'npm run codegen' and commit" >&2
  rm -rf "$before"; exit 1
fi
rm -rf "$before"
echo "codegen: up to date"
