#!/usr/bin/env bash
# Run the whole test suite: primitives, pallets on mock runtimes, the runtime, the end-to-end
# tests that start a real gridchain-node and drive it over RPC, and the web dashboard's tests (its
# §9 code against the Rust golden vectors, then the dashboard in Debian's Chromium against a real
# local grid).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
cargo test --workspace
# The benchmarks, run once each on the pallets' mock runtimes.
cargo test -p pallet-registry -p pallet-tft-price -p pallet-smart-contract --features runtime-benchmarks
# The dashboard: unit tests, then the browser test (it starts its own local grid).
bash scripts/web-build.sh
(cd web && npm test --silent && node e2e/dashboard.mjs)
