#!/usr/bin/env bash
# Regenerates the NetBox API types used by src/providers/ipam/netbox/client.ts from NetBox's own
# OpenAPI schema (4.2.6, unmodified /api/schema/ output; see /work/shared/netbox/SOURCE.md).
#   bash scripts/gen-netbox-types.sh [path/to/openapi.yaml]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
schema="${1:-$root/../shared/netbox/openapi-4.2.6.yaml}"
"$root/node_modules/.bin/openapi-typescript" "$schema" -o "$root/src/providers/ipam/netbox/schema.d.ts"
