#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (see scripts/bench/run-all.ts; --quick for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/../.."
# What the benchmarks need beyond the tests: etcd 3.4 (Debian etcd-server) as the Raft anchor.
# Cheap when everything is there already; the packaged etcd service is not used (own ports).
PIPAM_APT_EXTRA="etcd-server ${PIPAM_APT_EXTRA:-}" bash scripts/install-deps.sh
(service etcd stop >/dev/null 2>&1 || true)
export PATH="$PWD/node_modules/.bin:$PATH"
exec bun scripts/bench/run-all.ts "$@"
