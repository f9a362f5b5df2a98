#!/usr/bin/env bash
# Build gridchain-node and start the development chain (Alice validates; RPC on 127.0.0.1:9944).
# Extra arguments go to the node, e.g. `--sealing manual`, `--tmp` or `--base-path DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# The same build as the test suite's, so the two share every artifact.
cargo build --workspace --all-targets
exec "$CARGO_TARGET_DIR/debug/gridchain-node" --dev --state-pruning archive "$@"
