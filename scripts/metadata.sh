#!/usr/bin/env bash
# Regenerate sdk/metadata/gridchain.scale, the runtime metadata the client crates are generated from.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
GRIDCHAIN_WRITE_METADATA=1 cargo test -p gridchain-runtime --test client_metadata
ls -l sdk/metadata/gridchain.scale
