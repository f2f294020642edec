#!/usr/bin/env bash
# The demo: a throwaway PowerDNS on loopback, the Proxmox simulator with guests appearing,
# changing and disappearing, and pipam (the compiled binary) keeping DNS in step.
#   bash scripts/demo.sh              install what is missing, build, run until Ctrl-C
#   DEMO_SECONDS=60 bash scripts/demo.sh   stop by itself after 60 s (used by the tests)
#   DEMO_GUESTS=20 DEMO_CHURN_MS=5000       size of the simulated cluster, churn period
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export PATH="$ROOT/node_modules/.bin:$PATH"
GUESTS="${DEMO_GUESTS:-20}"
CHURN_MS="${DEMO_CHURN_MS:-5000}"
DIR="$ROOT/.pipam-demo"

[ "${DEMO_SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-deps.sh
[ "${DEMO_SKIP_BUILD:-0}" = 1 ] && [ -x dist/pipam ] || bash scripts/build.sh

rm -rf "$DIR"; mkdir -p "$DIR/secrets"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -f "$DIR/pdns/pdns.env" ] && bash scripts/pdns.sh stop "$DIR/pdns" >/dev/null 2>&1 || true
  echo "demo stopped (files in $DIR)"
}
trap cleanup EXIT INT TERM

# 1. PowerDNS on loopback, with the demo's zones (forward + reverse, api_rectify off).
mkdir -p "$DIR/pdns"
bash scripts/pdns.sh start "$DIR/pdns" > "$DIR/pdns.vars"
# shellcheck disable=SC1091
. "$DIR/pdns.vars"
for z in demo.pipam.test. 10.in-addr.arpa. 0.0.d.f.ip6.arpa.; do
  curl -sf -X POST -H "X-API-Key: $PDNS_API_KEY" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$z\",\"kind\":\"Native\",\"nameservers\":[],\"api_rectify\":false}" \
    "$PDNS_API_URL/api/v1/servers/localhost/zones" >/dev/null
done
# A record made by hand: pipam must never touch it.
curl -sf -X PATCH -H "X-API-Key: $PDNS_API_KEY" -H 'Content-Type: application/json' \
  -d '{"rrsets":[{"name":"printer.demo.pipam.test.","type":"A","ttl":3600,"changetype":"REPLACE","records":[{"content":"10.9.9.9","disabled":false}]}]}' \
  "$PDNS_API_URL/api/v1/servers/localhost/zones/demo.pipam.test." >/dev/null
umask 027
printf '%s' "$PDNS_API_KEY" > "$DIR/secrets/powerdns-api-key"

# 2. The Proxmox simulator (HTTPS, self-signed; pipam trusts its CA file).
bun scripts/sim.ts --guests "$GUESTS" --port 0 --ipv6 --churn --churn-ms "$CHURN_MS" --json \
  --ca-out "$DIR/pve-ca.pem" > "$DIR/sim.json" 2> "$DIR/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$DIR/sim.json" ] && break; sleep 0.1; done
[ -s "$DIR/sim.json" ] || { cat "$DIR/sim.log" >&2; echo "simulator did not start" >&2; exit 1; }
SIM_URL=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).url' "$DIR/sim.json")
SIM_TOKEN=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).tokenId' "$DIR/sim.json")
node -p 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).secret' "$DIR/sim.json" > "$DIR/secrets/proxmox-token"
PVE_USER="${SIM_TOKEN%%!*}"; TOKEN_NAME="${SIM_TOKEN#*!}"

# 3. pipam's config (the original pipam's keys plus a few extensions).
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$DIR/config.toml" <<TOML
collect_interval = "3s"
full_reconcile_interval = "1m"

[proxmox]
url = "$SIM_URL"
user = "$PVE_USER"
token_id = "$TOKEN_NAME"
token_uuid_file = "$DIR/secrets/proxmox-token"
ca_file = "$DIR/pve-ca.pem"

[dns]
provider = "powerdns"
zones = ["demo.pipam.test.", "10.in-addr.arpa.", "0.0.d.f.ip6.arpa."]
ttl = 60
ptr = true
owner_id = "pipam-demo"

[dns.powerdns]
url = "http://127.0.0.1:$PDNS_API_PORT"
api_key_file = "$DIR/secrets/powerdns-api-key"

[mapping."demo.pipam.test"]
networks = [{ cidr = "10.0.0.0/8" }, { cidr = "fd00::/16" }]

[server]
listen = "127.0.0.1:$PORT"
TOML

cat <<MSG

=== pipam demo ===
PowerDNS   DNS 127.0.0.1:$PDNS_DNS_PORT, API $PDNS_API_URL
Proxmox    simulator $SIM_URL ($GUESTS guests; one changes every $((CHURN_MS / 1000)) s; log: $DIR/sim.log)
pipam      status page http://127.0.0.1:$PORT/   metrics http://127.0.0.1:$PORT/metrics
config     $DIR/config.toml

Try:
  curl -s -H "X-API-Key: \$(cat $DIR/secrets/powerdns-api-key)" $PDNS_API_URL/api/v1/servers/localhost/zones/demo.pipam.test. | jq '.rrsets[].name'
  dig @127.0.0.1 -p $PDNS_DNS_PORT +short web-0001.demo.pipam.test A
  dig @127.0.0.1 -p $PDNS_DNS_PORT +short -x 10.0.0.1
  dist/pipam -c $DIR/config.toml output
  dist/pipam -c $DIR/config.toml reconcile --dry-run
Ctrl-C stops everything.

MSG

dist/pipam -c "$DIR/config.toml" run &
pids+=($!)
# wait (bounded) for the first cycle to land
for _ in $(seq 1 100); do
  [ -n "$(dig @127.0.0.1 -p "$PDNS_DNS_PORT" +short web-0001.demo.pipam.test A 2>/dev/null)" ] && break
  sleep 0.1
done
echo "--- after the first cycle:"
echo "\$ dig @127.0.0.1 -p $PDNS_DNS_PORT +short web-0001.demo.pipam.test A"
dig @127.0.0.1 -p "$PDNS_DNS_PORT" +short web-0001.demo.pipam.test A || true
echo "\$ dig @127.0.0.1 -p $PDNS_DNS_PORT +short printer.demo.pipam.test A   (made by hand, never touched)"
dig @127.0.0.1 -p "$PDNS_DNS_PORT" +short printer.demo.pipam.test A || true
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  wait "${pids[-1]}"
fi
