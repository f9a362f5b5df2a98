#!/usr/bin/env bash
# The scale run (issue 12, docs/performance.md): a release node whose genesis holds CONTRACTS live
# node contracts (runtime/src/bench_genesis.rs), on ParityDB with real 6 s Aura blocks, billed by a
# pass that starts at block 1 and spreads them over FREQUENCY blocks (600: the production hour).
#
#   ./scripts/scale-run.sh CONTRACTS [FREQUENCY] [BLOCKS]
#
# The `author` node (Alice, the only validator) runs the chain; its blocks are fetched over RPC as
# they come. Then, with the author stopped (two nodes holding a 1,000,000-contract genesis do not
# fit in 24 GiB together), a fresh node builds the same genesis and imports those blocks
# (`import-blocks`, through the same import queue and Aura verifier as blocks from the network).
# Measured from the nodes themselves, for each block: the author's time to build it (its
# "Prepared block … (T ms)" log line: hooks, inherents, state root), the importer's time to verify
# and import it (its `sync::import-queue` trace lines: verification begun, block imported), and
# what the billing hook settled and the weight it declared (its `runtime::billing` log line); then
# the pass's length in blocks, the database size, and each node's peak memory (VmHWM).
# BLOCKS (default FREQUENCY + 2: the whole pass and its closing block) bounds the run.
# With INDEX=1, grid-indexer (release) then indexes the chain from genesis to block BLOCKS while the
# author still serves it, on SQLite and on a PostgreSQL server of its own: its blocks/s and events/s
# go in the report (the billing blocks hold one `ContractBilled` event a settlement).
# Results go to target/scale-run/CONTRACTS/ in the clone: blocks.csv, report.md, both logs and
# run.env (the figures not in the logs); `./scripts/scale-run.sh --report DIR` writes the report of
# a run's directory again.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: $0 CONTRACTS [FREQUENCY] [BLOCKS]  (CONTRACTS 1..4294967295, FREQUENCY and BLOCKS ≥ 1)" >&2
	exit 2
}
positive() { [[ "$1" =~ ^[1-9][0-9]{0,9}$ ]] && [ "$1" -le 4294967295 ]; }
# The report of the run in $out, from its logs and run.env: blocks.csv and report.md.
report() {
	# One row per block: built (ms), imported (ms), settled, due, declared by the hook (ms). Built:
	# the author's "Prepared block" line. Imported: from the importer's "Block N (…) has K logs" (its
	# verification starts) to its "Block imported successfully Some(N)" (log times, ms).
	awk -v last="$blocks" '
		function secs(clock, t) { split(clock, t, ":"); return t[1] * 3600 + t[2] * 60 + t[3] }
		FILENAME ~ /import.log$/ && /sync::import-queue: Block [0-9]+ \(.*\) has [0-9]+ logs/ {
			match($0, /Block [0-9]+ /); n = substr($0, RSTART + 6, RLENGTH - 7); begun[n] = secs($2)
		}
		FILENAME ~ /import.log$/ && /Block imported successfully Some\([0-9]+\)/ {
			match($0, /Some\([0-9]+\)/); n = substr($0, RSTART + 5, RLENGTH - 6)
			if ((n in begun) && !(n in imported)) {
				d = secs($2) - begun[n]; if (d < 0) d += 86400; imported[n] = sprintf("%.0f", d * 1000)
			}
		}
		FILENAME ~ /import.log$/ { next }
		/Prepared block for proposing at/ && match($0, /at [0-9]+ \([0-9]+ ms\)/) {
			split(substr($0, RSTART, RLENGTH), p, /[ (]+/)
			if (!(p[2] in built)) built[p[2]] = p[3]
		}
		/runtime::billing/ && match($0, /block [0-9]+: settled [0-9]+ of [0-9]+, declared [0-9]+ ps/) {
			split(substr($0, RSTART, RLENGTH), p, /[ :,]+/)
			if (!(p[2] in settled)) { settled[p[2]] = p[4]; due[p[2]] = p[6]; declared[p[2]] = p[8] / 1e9 }
		}
		END {
			print "block,built_ms,imported_ms,settled,due,declared_ms"
			for (b = 1; b <= last; b++) {
				if (!(b in built)) continue
				printf "%d,%s,%s,%s,%s,%s\n", b, built[b], (b in imported ? imported[b] : "-"),
					(b in settled ? settled[b] : "-"), (b in due ? due[b] : "-"),
					(b in declared ? sprintf("%.1f", declared[b]) : "-")
			}
		}' "$out/import.log" "$out/author.log" >"$out/blocks.csv"

	# Slots with no block: from the times of the author's "Prepared block" lines.
	missed_slots() {
		awk 'function secs(clock, t) { split(clock, t, ":"); return t[1] * 3600 + t[2] * 60 + t[3] }
			/Prepared block for proposing at/ { t = secs($2)
				if (seen) { d = t - last; if (d < 0) d += 86400; m += int(d / 6 + 0.5) - 1 }
				seen = 1; last = t }
			END { print m + 0 }' "$out/author.log"
	}
	# mean, p50, p90 and max of column $1 over the billing blocks (settled > 0), in whole ms.
	stats() {
		awk -F, -v c="$1" 'NR > 1 && $4 != "-" && $4 > 0 && $c != "-" {print $c}' "$out/blocks.csv" |
			sort -n | awk '{a[NR] = $1; s += $1}
				END {if (NR) printf "%.0f / %.0f / %.0f / %.0f", s / NR, a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], a[NR]; else printf "-"}'
	}
	pass=$(awk -F, 'NR > 1 && $4 != "-" && $4 > 0 {n++; s += $4} END {printf "%d blocks, %d settlements", n, s}' "$out/blocks.csv")
	idle=$(awk -F, 'NR > 1 && ($4 == "-" || $4 == 0) {n++; s += $2} END {printf (n ? "%.0f" : "-"), (n ? s / n : 0)}' "$out/blocks.csv")
	# Billing blocks over LIMIT ms in column $1.
	over() {
		awk -F, -v c="$1" -v l="$2" 'NR > 1 && $4 != "-" && $4 > 0 && $c != "-" && $c > l {n++} END {print n + 0}' "$out/blocks.csv"
	}
	declared=$(awk -F, 'NR > 1 && $4 != "-" && $4 > 0 && $6 > d {d = $6} END {print d + 0}' "$out/blocks.csv")
	{
		echo "| figure | measured | weight-predicted |"
		echo "|---|---:|---:|"
		echo "| live contracts; billing frequency (blocks) | $contracts; $frequency | |"
		echo "| billing pass | $pass | $frequency blocks, $(((contracts + frequency - 1) / frequency)) a block |"
		echo "| author: build a billing block, mean / p50 / p90 / max (ms) | $(stats 2) | $(stats 6) (the hook's declared weight) |"
		echo "| importer: verify and import it, mean / p50 / p90 / max (ms) | $(stats 3) | |"
		awk -v d="$declared" 'BEGIN {
			printf "| the hook'"'"'s declared weight, most: share of the 2 s block / of the 500 ms settlement budget | | %.1f %% / %.0f %% |\n", d / 20, d / 5 }'
		echo "| billing blocks over the 500 ms settlement budget: author / importer | $(over 2 500) / $(over 3 500) | 0 |"
		echo "| billing blocks over the 2 s block: author / importer | $(over 2 2000) / $(over 3 2000) | 0 |"
		echo "| author: a block without billing, mean (ms) | $idle | |"
		echo "| slots the author missed (more than 6 s between its blocks) | $(missed_slots) | 0 |"
		echo "| genesis: built (s), stored and block 1 authored (s), peak memory (MiB) | $genesis_secs, $first_block_secs, $((genesis_hwm_kb / 1024)) | |"
		echo "| database on disk (ParityDB), at genesis / at the end (MiB) | $((genesis_db_bytes / 1048576)) / $((db_bytes / 1048576)) | |"
		echo "| peak memory over the run, author / importer (MiB) | $((author_hwm_kb / 1024)) / $((import_hwm_kb / 1024)) | |"
		echo "| grid-indexer from genesis to block $blocks (INDEX=1): SQLite / PostgreSQL | ${index_sqlite:--} / ${index_postgres:--} | |"
	} | tee "$out/report.md"
}

if [ "${1:-}" = "--report" ]; then
	[ $# -eq 2 ] && [ -f "$2/run.env" ] || { echo "usage: $0 --report DIR (a run's directory, with run.env)" >&2; exit 2; }
	out="$2"
	source "$out/run.env"
	report
	exit 0
fi
[ $# -ge 1 ] && [ $# -le 3 ] || usage
contracts="$1"
frequency="${2:-600}"
positive "$contracts" || { echo "CONTRACTS: expected a positive integer, got '$contracts'" >&2; usage; }
positive "$frequency" || { echo "FREQUENCY: expected a positive integer, got '$frequency'" >&2; usage; }
blocks="${3:-$((frequency + 2))}"
positive "$blocks" || { echo "BLOCKS: expected a positive integer, got '$blocks'" >&2; usage; }

bash scripts/setup.sh --jq
source scripts/env.sh
cargo build --release -p gridchain-node
node_bin="$CARGO_TARGET_DIR/release/gridchain-node"
index="${INDEX:-0}"
[ "$index" = 0 ] || [ "$index" = 1 ] || { echo "INDEX: expected 0 or 1, got '$index'" >&2; usage; }
if [ "$index" = 1 ]; then
	cargo build --release -p grid-indexer
	indexer_bin="$CARGO_TARGET_DIR/release/grid-indexer"
fi

out="target/scale-run/$contracts"
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
pids=()
pg_dir=""
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -z "$pg_dir" ] || pg pg_ctl -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work" "$pg_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The dev chain's spec with the bench grid and the billing frequency in its genesis patch.
"$node_bin" build-spec --chain dev 2>/dev/null |
	jq --argjson n "$contracts" --argjson f "$frequency" --argjson now "$(date +%s)" '
		.name = "Gridchain scale run" | .id = "gridchain_scale" |
		.genesis.runtimeGenesis.patch.smartContract.billingFrequency = $f |
		.genesis.runtimeGenesis.patch.bench = {
			contracts: $n, contractsPerNode: 500, nodesPerFarm: 50, dataBytes: 512, nowSecs: $now
		}' >"$work/spec.json"

common=(--chain "$work/spec.json" --database paritydb --no-telemetry --no-mdns --pool-limit 20000)
started=$(date +%s)
"$node_bin" "${common[@]}" --base-path "$work/author" --alice --validator --force-authoring \
	--node-key 0000000000000000000000000000000000000000000000000000000000000001 \
	--port 30533 --rpc-port 9955 --prometheus-port 9655 -l runtime::billing=debug \
	>"$out/author.log" 2>&1 &
pids+=($!)
author_pid=$!
alive() {
	kill -0 "$1" 2>/dev/null && return 0
	echo "scale-run: the $2 node stopped; the end of its log:" >&2
	tail -n 20 "$out/$2.log" >&2
	exit 1
}

# Genesis: the author builds it from the patch, alone (it is the run's memory peak).
echo "scale-run: building the genesis state of $contracts contracts…"
until grep -q "Initializing Genesis block" "$out/author.log"; do
	alive "$author_pid" author
	sleep 1
done
genesis_secs=$(($(date +%s) - started))
until grep -q "Prepared block for proposing at 1 " "$out/author.log"; do
	alive "$author_pid" author
	sleep 1
done
first_block_secs=$(($(date +%s) - started))
genesis_db_bytes=$(du -sb "$work/author/chains" | cut -f1)
genesis_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$author_pid/status")
echo "scale-run: genesis built in $genesis_secs s (peak memory $((genesis_hwm_kb / 1024)) MiB)," \
	"stored and block 1 authored at $first_block_secs s; database $((genesis_db_bytes / 1048576)) MiB"

# Every block, as the author finalizes it, in `import-blocks`' JSON format (SignedBlock values).
rpc() {
	curl -s -H 'content-type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2}" http://127.0.0.1:9955
}
fetch_blocks() {
	local n hash
	for ((n = 1; n <= blocks; n++)); do
		until hash=$(rpc chain_getBlockHash "[$n]" | jq -re '.result // empty'); do sleep 2; done
		rpc chain_getBlock "[\"$hash\"]" | jq -ce '.result' >>"$work/blocks.json"
	done
}
: >"$work/blocks.json"
fetch_blocks &
fetch_pid=$!

echo "scale-run: following the author to block $blocks…"
best() {
	curl -s http://127.0.0.1:9655/metrics |
		awk '/^substrate_block_height\{status="best"/ {b = $2} END {print (b == "" ? 0 : int(b))}'
}
while [ "$(best)" -lt "$blocks" ]; do
	alive "$author_pid" author
	sleep 2
done
wait "$fetch_pid"

# A PostgreSQL tool, run as the `postgres` user when this is root (the server refuses root).
pg() {
	local tool="$pg_bin/$1"
	shift
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$tool" "$@"; else "$tool" "$@"; fi
}
# grid-indexer from an empty DATABASE (labelled LABEL) until it has indexed block $blocks: the
# seconds that took, and the blocks and events it indexed meanwhile, in index_LABEL.
index_chain() {
	local label="$1" database="$2" height=-1 started ended pid
	"$indexer_bin" --chain ws://127.0.0.1:9955 --database "$database" --listen 127.0.0.1:9956 \
		>"$out/indexer-$label.log" 2>&1 &
	pid=$!
	pids+=($pid)
	started=$(date +%s%N)
	metrics=""
	while [ "$height" -lt "$blocks" ]; do
		alive "$pid" "indexer-$label"
		sleep 0.1
		metrics=$(curl -s http://127.0.0.1:9956/metrics || true)
		height=$(awk '$1 == "grid_indexer_indexed_height" {print int($2)}' <<<"$metrics")
		height=${height:--1}
	done
	ended=$(date +%s%N)
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	local indexed events
	indexed=$(awk '$1 == "grid_indexer_blocks_total" {print int($2)}' <<<"$metrics")
	events=$(awk '$1 == "grid_indexer_events_total" {print int($2)}' <<<"$metrics")
	printf -v "index_$label" '%s' "$indexed blocks, $events events in $(((ended - started) / 1000000)) ms"
	echo "scale-run: $label: $indexed blocks, $events events in $(((ended - started) / 1000000)) ms"
}
index_sqlite="-"
index_postgres="-"
if [ "$index" = 1 ]; then
	echo "scale-run: indexing blocks 0 to $blocks with grid-indexer…"
	index_chain sqlite "sqlite://$work/index.db"
	pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	pg_dir="$(mktemp -d)"
	[ "$(id -u)" != 0 ] || chown postgres:postgres "$pg_dir"
	pg initdb -D "$pg_dir/data" -A trust -U grid -E UTF8 --no-sync --no-instructions >/dev/null
	pg pg_ctl -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 start \
		-o "-p 9957 -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" >/dev/null
	pg createdb -h 127.0.0.1 -p 9957 -U grid scale
	index_chain postgres "postgres://grid@127.0.0.1:9957/scale"
fi
author_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$author_pid/status")
kill "$author_pid"
wait "$author_pid" 2>/dev/null || true
db_bytes=$(du -sb "$work/author/chains" | cut -f1)
# Written now, so that the report can be made again even if the import fails.
cat >"$out/run.env" <<ENV
contracts=$contracts frequency=$frequency blocks=$blocks
genesis_secs=$genesis_secs first_block_secs=$first_block_secs genesis_hwm_kb=$genesis_hwm_kb
genesis_db_bytes=$genesis_db_bytes db_bytes=$db_bytes author_hwm_kb=$author_hwm_kb import_hwm_kb=0
index_sqlite="$index_sqlite" index_postgres="$index_postgres"
ENV

echo "scale-run: importing the $blocks blocks into a fresh node…"
"$node_bin" import-blocks --chain "$work/spec.json" --database paritydb \
	--base-path "$work/import" --log sync::import-queue=trace -- "$work/blocks.json" \
	>"$out/import.log" 2>&1 &
import_pid=$!
pids+=($import_pid)
import_hwm_kb=0
while kill -0 "$import_pid" 2>/dev/null; do
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$import_pid/status" 2>/dev/null || echo 0)
	[ "${hwm:-0}" -le "$import_hwm_kb" ] || import_hwm_kb=$hwm
	sleep 1
done
wait "$import_pid" || { echo "scale-run: import-blocks failed; its log:" >&2; tail -n 20 "$out/import.log" >&2; exit 1; }

sed -i "s/import_hwm_kb=0/import_hwm_kb=$import_hwm_kb/" "$out/run.env"
report
echo "scale-run: per block in $out/blocks.csv; logs in $out/"
