#!/usr/bin/env bash
# The scale run (issue 12, docs/performance.md): a release node whose genesis holds CONTRACTS live
# node contracts (runtime/src/bench_genesis.rs), on ParityDB with real 6 s Aura blocks, billed by a
# pass that starts at block 1 and spreads them over FREQUENCY blocks (600: the production hour).
#
#   ./scripts/scale-run.sh CONTRACTS [FREQUENCY] [BLOCKS]
#
# Two nodes run: `author` (Alice, the only validator) and `import`, a full node that imports every
# block from it. Measured from the nodes themselves, for each block: the author's time to build it
# (its "Prepared block … (T ms)" log line: hooks, inherents, state root), the importer's time to
# verify and import it (its `sync::import-queue` trace lines: verification begun, block imported),
# and what the billing hook settled and the weight it declared (its `runtime::billing` log line);
# then the pass's length in blocks, the database size, and each node's peak memory (VmHWM).
# BLOCKS (default FREQUENCY + 2: the whole pass and its closing block) bounds the run.
# Results go to target/scale-run/CONTRACTS/ in the clone: blocks.csv, report.md, both logs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: $0 CONTRACTS [FREQUENCY] [BLOCKS]  (CONTRACTS 1..4294967295, FREQUENCY and BLOCKS ≥ 1)" >&2
	exit 2
}
positive() { [[ "$1" =~ ^[1-9][0-9]{0,9}$ ]] && [ "$1" -le 4294967295 ]; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
contracts="$1"
frequency="${2:-600}"
positive "$contracts" || { echo "CONTRACTS: expected a positive integer, got '$contracts'" >&2; usage; }
positive "$frequency" || { echo "FREQUENCY: expected a positive integer, got '$frequency'" >&2; usage; }
blocks="${3:-$((frequency + 2))}"
positive "$blocks" || { echo "BLOCKS: expected a positive integer, got '$blocks'" >&2; usage; }

bash scripts/setup.sh
source scripts/env.sh
command -v jq >/dev/null || sudo_apt=1
if [ "${sudo_apt:-0}" = 1 ]; then
	if [ "$(id -u)" = 0 ]; then apt-get install -y jq; else sudo apt-get install -y jq; fi
fi
cargo build --release -p gridchain-node
node_bin="$CARGO_TARGET_DIR/release/gridchain-node"

out="target/scale-run/$contracts"
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
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
genesis_db_bytes=$(du -sb "$work/author/chains" | cut -f1)
genesis_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$author_pid/status")
echo "scale-run: genesis built in $genesis_secs s (peak memory $((genesis_hwm_kb / 1024)) MiB)," \
	"database $((genesis_db_bytes / 1048576)) MiB; block 1 authored"

# The importer builds the same genesis, then imports every block it hears of, logging when each
# import starts and ends. It starts only when the machine has the memory the author needed.
available_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
import_pid=""
if [ "$available_kb" -gt $((genesis_hwm_kb * 5 / 4)) ]; then
	"$node_bin" "${common[@]}" --base-path "$work/import" --port 30534 --rpc-port 9956 \
		--prometheus-port 9656 -l sync::import-queue=trace \
		--bootnodes /ip4/127.0.0.1/tcp/30533/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp \
		>"$out/import.log" 2>&1 &
	pids+=($!)
	import_pid=$!
else
	echo "scale-run: $((available_kb / 1024)) MiB free, too little for an importer: import not measured"
	: >"$out/import.log"
fi

echo "scale-run: following the author to block $blocks…"
best() {
	curl -s http://127.0.0.1:9655/metrics |
		awk '/^substrate_block_height\{status="best"/ {b = $2} END {print (b == "" ? 0 : int(b))}'
}
while [ "$(best)" -lt "$blocks" ]; do
	alive "$author_pid" author
	[ -z "$import_pid" ] || alive "$import_pid" import
	sleep 2
done
sleep 3
author_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$author_pid/status")
import_hwm_kb=0
[ -z "$import_pid" ] || import_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$import_pid/status")
db_bytes=$(du -sb "$work/author/chains" | cut -f1)

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

# mean, p50, p90 and max of column $1 over the billing blocks (settled > 0), in whole ms.
stats() {
	awk -F, -v c="$1" 'NR > 1 && $4 != "-" && $4 > 0 && $c != "-" {print $c}' "$out/blocks.csv" |
		sort -n | awk '{a[NR] = $1; s += $1}
			END {if (NR) printf "%.0f / %.0f / %.0f / %.0f", s / NR, a[int((NR + 1) / 2)], a[int(NR * 0.9 + 0.5)], a[NR]; else printf "-"}'
}
pass=$(awk -F, 'NR > 1 && $4 != "-" && $4 > 0 {n++; s += $4} END {printf "%d blocks, %d settlements", n, s}' "$out/blocks.csv")
idle=$(awk -F, 'NR > 1 && ($4 == "-" || $4 == 0) {n++; s += $2} END {printf (n ? "%.0f" : "-"), (n ? s / n : 0)}' "$out/blocks.csv")
worst=$(awk -F, 'NR > 1 && $4 != "-" && $4 > 0 {for (c = 2; c <= 3; c++) if ($c != "-" && $c > w) w = $c} END {print w + 0}' "$out/blocks.csv")
declared=$(awk -F, 'NR > 1 && $4 != "-" && $4 > 0 && $6 > d {d = $6} END {print d + 0}' "$out/blocks.csv")
{
	echo "| figure | measured | weight-predicted |"
	echo "|---|---:|---:|"
	echo "| live contracts; billing frequency (blocks) | $contracts; $frequency | |"
	echo "| billing pass | $pass | $frequency blocks, $(((contracts + frequency - 1) / frequency)) a block |"
	echo "| author: build a billing block, mean / p50 / p90 / max (ms) | $(stats 2) | $(stats 6) (the hook's declared weight) |"
	echo "| importer: verify and import it, mean / p50 / p90 / max (ms) | $(stats 3) | |"
	awk -v w="$worst" -v d="$declared" 'BEGIN {
		printf "| worst billing block: share of the 2 s block / of the 500 ms settlement budget | %.1f %% / %.0f %% | %.1f %% / %.0f %% |\n", w / 20, w / 5, d / 20, d / 5 }'
	echo "| author: a block without billing, mean (ms) | $idle | |"
	echo "| genesis: build time (s), peak memory (MiB) | $genesis_secs, $((genesis_hwm_kb / 1024)) | |"
	echo "| database on disk (ParityDB), at genesis / at the end (MiB) | $((genesis_db_bytes / 1048576)) / $((db_bytes / 1048576)) | |"
	echo "| peak memory over the run, author / importer (MiB) | $((author_hwm_kb / 1024)) / $((import_hwm_kb / 1024)) | |"
} | tee "$out/report.md"
echo "scale-run: per block in $out/blocks.csv; logs in $out/"
