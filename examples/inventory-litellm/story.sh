#!/usr/bin/env bash
# The LiteLLM story of the release inventory, end to end and offline (README.md).
# Usage: examples/inventory-litellm/story.sh [STORE_URL]   (run from the repository root)
# Everything it writes goes to a fresh temporary folder (advisory database, default store).
set -euo pipefail
E=examples/inventory-litellm
L=examples/litellm-2026
work=$(mktemp -d)
export POLICYENGINE_CACHE_DIR="$work/cache"
export POLICYENGINE_STORE="${1:-sqlite:///$work/inventory.sqlite3}"
pe() { python -m policyengine "$@"; }

# 2026-03-20: the advisory database knows nothing about litellm yet.
pe db import "$E/advisories-2026-03-20"
# Three releases of acme-chat-gateway are judged and kept; the gate lets them through.
for v in 1.82.6 1.82.7 1.82.8; do
  pe check "$L/sbom-litellm-$v.cdx.json" --policy "$E/policy.yaml" --offline --advisories db \
     --release "acme-chat-gateway@$v" --format json -o "$work/verdict-$v.json"
done
pe releases list

# 2026-03-24: MAL-2026-2144, PYSEC-2026-2 and GHSA-5mg7-485q-xm76 are published.
pe db import "$E/advisories-2026-03-24"
# Re-judge what the new records touch; the releases that got worse are listed (exit 1).
pe releases rejudge || echo "rejudge: exit $? (a release got worse)"
pe releases affected --advisory MAL-2026-2144
pe releases history acme-chat-gateway@1.82.8
rm -rf "$work"
