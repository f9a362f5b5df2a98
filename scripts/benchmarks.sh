#!/usr/bin/env bash
# Regenerate the weights of Gridchain's pallets with the benchmark CLI of gridchain-node.
#
#   ./scripts/benchmarks.sh              # every pallet
#   ./scripts/benchmarks.sh registry     # one pallet: registry, tft-price or smart-contract
#
# Builds gridchain-node in release with `--features runtime-benchmarks`, then runs
# `gridchain-node benchmark pallet` for each pallet and writes `pallets/<pallet>/src/weights.rs`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
cargo build --release -p gridchain-node --features runtime-benchmarks
NODE="$CARGO_TARGET_DIR/release/gridchain-node"

pallets=("${@:-registry tft-price smart-contract}")
for dir in ${pallets[@]}; do
	pallet="pallet_${dir//-/_}"
	echo "==> $pallet"
	"$NODE" benchmark pallet \
		--chain dev \
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
