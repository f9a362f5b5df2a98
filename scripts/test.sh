#!/usr/bin/env bash
# Run the whole test suite: primitives, pallets on mock runtimes, the runtime, the end-to-end
# tests that start a real gridchain-node and drive it over RPC, and the web dashboard's tests (its
# §9 code against the Rust golden vectors, then the dashboard in Debian's Chromium against a real
# local grid).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser --podman
source scripts/env.sh
cargo test "${grid_packages[@]}"
# The cost path's criterion benchmarks, once each (their crate is outside the first command's build).
cargo test -p gridchain-microbench --benches
# The benchmarks, run once each on the pallets' mock runtimes; then `try-runtime` (the runtime
# upgrade's checks and every pallet's `try_state`) against a dev chain started with the node just
# built. One feature set for both, so they share one build; the runtime's WASM is not needed here.
checks=runtime-benchmarks,try-runtime
cargo test -p pallet-registry -p pallet-tft-price -p pallet-smart-contract --features "$checks"
SKIP_WASM_BUILD=1 cargo test -p gridchain-runtime --features "$checks" --test try_runtime
# The dashboard: unit tests, then the browser tests, each on a local grid of its own and side by
# side: the whole journey on instant sealing, and the newcomer's journeys (issue 26) on real 6 s
# blocks, which mostly wait for blocks.
bash scripts/web-build.sh
(cd web && npm test --silent)
(cd web && GRID_WEB_OUT_DIR="$PWD/dist-newcomer" node e2e/newcomer.mjs 2>&1 | sed -u 's/^/newcomer | /') &
newcomer=$!
status=0
(cd web && node e2e/dashboard.mjs) || status=$?
wait "$newcomer" || status=$?
exit "$status"
