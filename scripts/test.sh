#!/usr/bin/env bash
# The whole test suite: static checks, the compiled binary, then every bun test.
# Ends with one plain line: "N passed, N failed" (checks count as tests).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
passed=0; failed=0
mkdir -p test-artifacts
step() { # name, command...
  local name="$1"; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
step "codegen is fresh" bash scripts/codegen-check.sh
step "NetBox API types" bash scripts/gen-netbox-types.sh
step "typecheck" tsc --noEmit
step "lint" biome check --diagnostic-level=error .
step "import rules" bun scripts/check-imports.ts
step "build binary" bash scripts/build.sh
step "binary --help" ./dist/pipam --help

out="test-artifacts/bun-test.log"
bun test "$@" 2>&1 | tee "$out"
p=$(grep -aE '^ *[0-9]+ pass$' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
f=$(grep -aE '^ *[0-9]+ fail$' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; echo "bun test produced no summary"; fi
passed=$((passed + p)); failed=$((failed + f))
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
