#!/usr/bin/env bash
# Build the workspace and start the local grid: the development chain (Alice validates; RPC on
# 127.0.0.1:9944, every block's state kept) and grid-indexer following it (GraphQL on
# http://127.0.0.1:4350, SQLite). Extra arguments go to the node, e.g. `--sealing manual`,
# `--tmp` or `--base-path DIR`; with `--base-path DIR` the indexer's database is
# DIR/grid-indexer.db, else a throw-away one like the chain's. `GRID_INDEXER_DATABASE` overrides
# it (a file, or `postgres://…`). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# The binaries only; the test suite reuses every artifact.
cargo build "${grid_packages[@]}" --bins

rpc_port=9944
base_path=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[$i]}" in
	--rpc-port) rpc_port="${args[$((i + 1))]:-9944}" ;;
	--rpc-port=*) rpc_port="${args[$i]#--rpc-port=}" ;;
	--base-path | -d) base_path="${args[$((i + 1))]:-}" ;;
	--base-path=*) base_path="${args[$i]#--base-path=}" ;;
	esac
done
database="${GRID_INDEXER_DATABASE:-}"
if [ -z "$database" ]; then
	if [ -n "$base_path" ]; then
		mkdir -p "$base_path"
		database="$base_path/grid-indexer.db"
	else
		scratch="$(mktemp -d)"
		database="$scratch/grid-indexer.db"
	fi
fi

"$CARGO_TARGET_DIR/debug/gridchain-node" --dev --state-pruning archive "$@" &
node=$!
"$CARGO_TARGET_DIR/debug/grid-indexer" --chain "ws://127.0.0.1:$rpc_port" --database "$database" &
indexer=$!
trap 'kill "$node" "$indexer" 2>/dev/null; wait; [ -z "${scratch:-}" ] || rm -rf "$scratch"' EXIT INT TERM
echo "grid-indexer: GraphQL on http://127.0.0.1:4350 (database $database)" >&2
# Stop when either stops.
wait -n "$node" "$indexer"
