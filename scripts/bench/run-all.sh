#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (see scripts/bench/run-all.ts; --quick for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
exec bun scripts/bench/run-all.ts "$@"
