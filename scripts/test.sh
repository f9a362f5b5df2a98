#!/usr/bin/env bash
# Run the whole test suite: primitives, pallets on mock runtimes, the runtime, the end-to-end
# tests that start a real gridchain-node and drive it over RPC, and the web dashboard's tests (its
# §9 code against the Rust golden vectors, then the dashboard in Debian's Chromium against a real
# local grid).
#
# Everything is built first, while nothing runs; then `test-lanes` runs the test binaries and the
# browser tests side by side (many of them wait for blocks of a chain of their own), longest
# first by scripts/test-timings.txt. GRID_TEST_LANES sets how many run at once (4: the suites wait for blocks more than they
# compute; a run with 3 used half of the two cores, most of it the debug nodes). The suites
# whose assertions are about time (blocks within a second, four validators on 6 s slots, the
# indexer keeping pace beside a flood) are `--serial`: never two of them at once, and each next in
# line for a free lane; everything else runs at niceness 10, so that those get the CPU they need
# first (with four lanes busy, instant sealing's node fell 42 transfers behind its second). (The load generator was one until its client stopped losing blocks on a
# starved node, 8fdd342; its test asserts counts, not times.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser --podman
source scripts/env.sh
built=$(mktemp -d)
trap 'rm -rf "$built"' EXIT
build() { # build TAG cargo-test-args…: the test binaries, listed in $built/TAG.json
	local tag=$1
	shift
	cargo test "$@" --no-run --message-format=json-render-diagnostics >"$built/$tag.json"
}
build all "${grid_packages[@]}"
# The cost path's criterion benchmarks, once each (their crate is outside the first command's build).
build microbench -p gridchain-microbench --benches
# The benchmarks, run once each on the pallets' mock runtimes; then `try-runtime` (the runtime
# upgrade's checks and every pallet's `try_state`) against a dev chain started with the node just
# built. One cargo invocation with one feature set for both, the runtime's WASM not needed. The
# features are named per package and the whole workspace is selected (only its library tests and
# `try_runtime` are built), so that cargo resolves every other crate's features as in the builds
# above: only the crates under the features are built again (60 units, 54 s after the first
# command from a fresh clone), where selecting the four packages alone gave serde, tokio and
# sp-core a feature set of their own and built 291 (8 min), by `cargo test --unit-graph`. The test binaries this
# leaves unchanged are the ones built above, and test-lanes runs each executable once.
checks=""
for package in pallet-registry pallet-tft-price pallet-smart-contract gridchain-runtime; do
	checks+="$package/runtime-benchmarks,$package/try-runtime,"
done
SKIP_WASM_BUILD=1 build checks "${grid_packages[@]}" --features "${checks%,}" --lib --test try_runtime
# The binaries the end-to-end tests start, and test-lanes (already built by the first command).
cargo build "${grid_packages[@]}" --bins
# The dashboard's build and its npm packages.
bash scripts/web-build.sh

# The browser tests' local grids run these binaries as they are: a `cargo build` of their own
# waited on the lock the doc tests' build holds (the newcomer's grids came up after 158 s, 30 s
# of it their own).
export GRID_BIN_DIR="$CARGO_TARGET_DIR/debug"
# Every node the suites start keeps the runtime wasmtime compiled from it here, and the next one
# runs it from here: a debug node's start took 11 s of CPU, nearly all of it compiling the same
# runtime three times, and takes 1.4 s with the cache (node/src/wasmtime_cache.rs).
export GRIDCHAIN_WASMTIME_CACHE="$CARGO_TARGET_DIR/wasmtime-cache"

# The doc tests compile as they run. The browser tests each start a local grid of their own: the
# whole journey on instant sealing, and each of the newcomer's two journeys (issue 26) on real 6 s
# blocks, side by side (one after the other they were the suite's longest job: 562 s).
"$CARGO_TARGET_DIR/debug/test-lanes" \
	--lanes "${GRID_TEST_LANES:-4}" \
	--serial gridchain-node/network --serial gridchain-node/instant_sealing \
	--serial grid-indexer/hostile_user --nice 10 \
	--timings scripts/test-timings.txt --record "$CARGO_TARGET_DIR/test-timings.txt" \
	--cargo "$built/all.json" --cargo "$built/microbench.json" \
	--cargo "checks=$built/checks.json" \
	--job "doc-tests=cargo test ${grid_packages[*]} --doc" \
	--job "web/unit=cd web && npm test --silent" \
	--job "web/dashboard=cd web && node e2e/dashboard.mjs" \
	--job "web/newcomer-update=cd web && GRID_WEB_OUT_DIR=\$PWD/dist-update GRID_E2E_PORT_BASE=31000 node e2e/newcomer.mjs update" \
	--job "web/newcomer-feedback=cd web && GRID_WEB_OUT_DIR=\$PWD/dist-feedback GRID_E2E_PORT_BASE=31100 node e2e/newcomer.mjs feedback"
