#!/usr/bin/env bash
# Regenerate the weights of Gridchain's pallets with gridchain-bench (bench/), in the runtime's Wasm.
#
#   ./scripts/benchmarks.sh              # every pallet
#   ./scripts/benchmarks.sh registry     # one pallet: registry, tft-price or smart-contract
#
# Builds the runtime's Wasm with `--features runtime-benchmarks` and gridchain-bench, in release,
# then runs `gridchain-bench pallet` for each pallet on the runtime's `development` genesis preset
# and writes `pallets/<pallet>/src/weights.rs`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
cargo build --release -p gridchain-runtime --features runtime-benchmarks
cargo build --release -p gridchain-bench
BENCH="$CARGO_TARGET_DIR/release/gridchain-bench"
RUNTIME="$CARGO_TARGET_DIR/release/wbuild/gridchain-runtime/gridchain_runtime.compact.compressed.wasm"

pallets=("${@:-registry tft-price smart-contract}")
for dir in ${pallets[@]}; do
	pallet="pallet_${dir//-/_}"
	echo "==> $pallet"
	"$BENCH" pallet \
		--runtime "$RUNTIME" \
		--genesis-builder runtime \
		--genesis-builder-preset development \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--header scripts/weights-header.txt \
		--template scripts/weight-template.hbs \
		--output "pallets/$dir/src/weights.rs"
done
