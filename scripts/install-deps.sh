#!/usr/bin/env bash
# Installs what pipam's build, tests and demo need on a fresh Debian bookworm machine.
# Debian packages (needs root): PowerDNS with the sqlite3 backend (tests run a real server on
# loopback), dig, sqlite3, Chromium (browser tests), lintian + systemd (package checks), iproute2.
# Then the npm packages (Bun itself comes from npm as a dev dependency).
#   PIPAM_SKIP_APT=1  skip apt-get;  PIPAM_APT_EXTRA="etcd-server"  add packages (benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(pdns-server pdns-backend-sqlite3 dnsutils sqlite3 curl ca-certificates chromium lintian systemd iproute2 openssl
  qemu-user-static libc6-arm64-cross)   # the last two: the arm64 binary is run under qemu in tests
# shellcheck disable=SC2206
APT_PKGS+=(${PIPAM_APT_EXTRA:-})

need_apt=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ "${PIPAM_SKIP_APT:-0}" != 1 ] && [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages (${need_apt[*]}); run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # pdns-server's postinst tries to start the service; with no systemd running that is harmless.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian's package starts a system pdns where it can; tests run their own on other ports.
  (service pdns stop >/dev/null 2>&1 || true)
fi

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 here writes lock files without other platforms' optional packages (biome, buf, esbuild
  # binaries) and `npm ci` then refuses the lock; `npm install` honours the same locked versions.
  npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
fi
node_modules/.bin/bun --version >/dev/null
# Typed NetBox client: types generated from NetBox's own OpenAPI schema (not committed: 2.5 MB).
[ -f src/providers/ipam/netbox/schema.d.ts ] || bash scripts/gen-netbox-types.sh >/dev/null
echo "install-deps: ok (bun $(node_modules/.bin/bun --version))"
