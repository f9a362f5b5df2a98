#!/usr/bin/env bash
# Run the whole test suite: primitives, pallets on mock runtimes, the runtime, and the end-to-end
# tests that start a real gridchain-node and drive it over RPC.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cargo test --workspace
# The benchmarks, run once each on the pallets' mock runtimes.
cargo test -p pallet-registry -p pallet-tft-price -p pallet-smart-contract --features runtime-benchmarks
