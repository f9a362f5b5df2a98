#!/usr/bin/env bash
# Build the binaries and start the whole local grid: the development chain (Alice validates), its
# indexer, a node (agent with the `sim` provisioner, key //Bob) in a farm with three public IPs
# (owned by //Alice), and the web dashboard. Prints the URLs; Ctrl-C stops everything.
#
# Arguments go to the node (e.g. `--sealing instant`). Ports: GRID_RPC_PORT (9944),
# GRID_INDEXER_PORT (4350), GRID_AGENT_PORT (18080), GRID_WEB_PORT (5173). GRID_REPORT_INTERVAL
# sets the agent's seconds between consumption reports (10). GRID_BIN_DIR runs binaries already
# built elsewhere instead of building them (the dashboard is always rebuilt, into
# GRID_WEB_OUT_DIR if set). The grid is thrown
# away on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# Only the binaries it runs; the test command builds its tests on top of them.
if [ -z "${GRID_BIN_DIR:-}" ]; then
	cargo build "${grid_packages[@]}" --bins
fi
bash scripts/web-build.sh

rpc_port="${GRID_RPC_PORT:-9944}"
indexer_port="${GRID_INDEXER_PORT:-4350}"
agent_port="${GRID_AGENT_PORT:-18080}"
web_port="${GRID_WEB_PORT:-5173}"
bin="${GRID_BIN_DIR:-$CARGO_TARGET_DIR/debug}"
scratch="$(mktemp -d)"
pids=()
names=()
# Start a component in the background, its output in $scratch/NAME.log.
start() {
	local name="$1"
	shift
	"$@" >"$scratch/$name.log" 2>&1 &
	pids+=($!)
	names+=("$name")
}
# Wait until URL answers, or stop with the component's log.
await() {
	local name="$1" url="$2"
	for _ in $(seq 1 240); do
		curl -sf -o /dev/null "$url" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.5
	done
	echo "local-grid: $name did not come up at $url; its log:" >&2
	tail -n 30 "$scratch/$name.log" >&2
	exit 1
}
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start node "$bin/gridchain-node" --dev --tmp --state-pruning archive --rpc-port "$rpc_port" \
	--port 0 --no-prometheus "$@"
await node "http://127.0.0.1:$rpc_port/health"
export GRID_URL="ws://127.0.0.1:$rpc_port"

start indexer "$bin/grid-indexer" --chain "$GRID_URL" --database "$scratch/grid-indexer.db" \
	--listen "127.0.0.1:$indexer_port"

# The farmer: a twin, a farm and three public IPs.
"$bin/grid" --key //Alice twin create >/dev/null
"$bin/grid" --key //Alice farm create local-farm >/dev/null
for host in 33 34 35; do
	"$bin/grid" --key //Alice farm add-ip 1 "185.206.122.$host/24" 185.206.122.1 >/dev/null
done

# The node: its agent registers the twin and the node itself.
mkdir -p "$scratch/agent"
cat >"$scratch/grid-agent.toml" <<TOML
url = "$GRID_URL"
key = "//Bob"
farm_id = 1
listen = "127.0.0.1:$agent_port"
public_url = "http://127.0.0.1:$agent_port"
data_dir = "$scratch/agent"
report_interval_secs = ${GRID_REPORT_INTERVAL:-10}
provisioner = "sim"

[location]
country = "BE"
city = "Ghent"
latitude = "51.05"
longitude = "3.72"

[capacity]
cru = 16
mru = 68719476736
sru = 1099511627776
hru = 4398046511104
TOML
chmod 600 "$scratch/grid-agent.toml"  # it holds the node key: the agent refuses a looser mode
start agent "$bin/grid-agent" run --config "$scratch/grid-agent.toml"
await agent "http://127.0.0.1:$agent_port/v1/health"
start dashboard web/node_modules/.bin/vite preview web --port "$web_port" --strictPort --outDir "${GRID_WEB_OUT_DIR:-dist}"
await dashboard "http://127.0.0.1:$web_port/"
await indexer "http://127.0.0.1:$indexer_port/health"

query=""
if [ "$rpc_port" != 9944 ] || [ "$indexer_port" != 4350 ]; then
	query="?rpc=ws://127.0.0.1:$rpc_port&indexer=http://127.0.0.1:$indexer_port"
fi
cat <<TEXT
The local grid is up (logs in $scratch):
  Dashboard   http://127.0.0.1:$web_port/$query
  Chain       $GRID_URL  (gridchain-node --dev; //Alice … //Ferdie hold 1,000,000 TFT each)
  Indexer     http://127.0.0.1:$indexer_port  (GraphQL)
  Node agent  http://127.0.0.1:$agent_port  (node 1 in farm 1, sim provisioner; 3 public IPs)
Open the dashboard, sign in as a dev account (Charlie is free to use), create your twin, and deploy.
Ctrl-C stops everything.
TEXT
# Stop when any component stops, and say which.
status=0
wait -n "${pids[@]}" || status=$?
for i in "${!pids[@]}"; do
	if ! kill -0 "${pids[$i]}" 2>/dev/null; then
		echo "local-grid: ${names[$i]} stopped (exit $status); the end of its log:" >&2
		tail -n 20 "$scratch/${names[$i]}.log" >&2
	fi
done
exit "$status"
