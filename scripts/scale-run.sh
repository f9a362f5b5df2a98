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
# verify and import it (the change of its `substrate_block_verification_and_import_time` metric),
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

common=(--chain "$work/spec.json" --database paritydb --no-telemetry --no-mdns
	--rpc-methods unsafe --pool-limit 20000)
started=$(date +%s)
"$node_bin" "${common[@]}" --base-path "$work/author" --alice --validator --force-authoring \
	--node-key 0000000000000000000000000000000000000000000000000000000000000001 \
	--port 30533 --rpc-port 9955 --prometheus-port 9655 -l runtime::billing=debug \
	>"$out/author.log" 2>&1 &
pids+=($!)
author_pid=$!
"$node_bin" "${common[@]}" --base-path "$work/import" --port 30534 --rpc-port 9956 \
	--prometheus-port 9656 \
	--bootnodes /ip4/127.0.0.1/tcp/30533/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp \
	>"$out/import.log" 2>&1 &
pids+=($!)
import_pid=$!

# Genesis: both nodes build it from the patch; the author reports when it has.
echo "scale-run: building the genesis state of $contracts contracts (both nodes)…"
until grep -q "Initializing Genesis block" "$out/author.log"; do
	kill -0 "$author_pid" 2>/dev/null || { tail -n 20 "$out/author.log" >&2; exit 1; }
	sleep 1
done
genesis_secs=$(($(date +%s) - started))
until grep -q "Prepared block for proposing at 1 " "$out/author.log"; do
	kill -0 "$author_pid" 2>/dev/null || { tail -n 20 "$out/author.log" >&2; exit 1; }
	kill -0 "$import_pid" 2>/dev/null || { tail -n 20 "$out/import.log" >&2; exit 1; }
	sleep 1
done
genesis_db_bytes=$(du -sb "$work/author/chains" | cut -f1)
echo "scale-run: genesis in ${genesis_secs} s, database $genesis_db_bytes bytes; following $blocks blocks…"

# The importer's metric, sampled until it has imported BLOCKS blocks: each time its count grows,
# the growth of its sum is the time those blocks took.
metric() {
	curl -s http://127.0.0.1:9656/metrics |
		awk '/^substrate_block_verification_and_import_time_sum/ {s=$2}
			/^substrate_block_verification_and_import_time_count/ {c=$2}
			/^substrate_block_height\{status="best"/ {b=$2}
			END {printf "%s %s %s\n", (s==""?0:s), (c==""?0:c), (b==""?0:b)}'
}
: >"$work/import.txt"
read -r last_sum last_count best < <(metric)
while [ "${best%.*}" -lt "$blocks" ]; do
	kill -0 "$author_pid" 2>/dev/null || { tail -n 20 "$out/author.log" >&2; exit 1; }
	kill -0 "$import_pid" 2>/dev/null || { tail -n 20 "$out/import.log" >&2; exit 1; }
	sleep 0.5
	read -r sum count best < <(metric)
	if [ "${count%.*}" -gt "${last_count%.*}" ]; then
		awk -v s="$sum" -v ls="$last_sum" -v c="$count" -v lc="$last_count" -v b="$best" \
			'BEGIN {printf "%d %d %.1f\n", b, c - lc, (s - ls) * 1000 / (c - lc)}' >>"$work/import.txt"
		last_sum=$sum
		last_count=$count
	fi
done
author_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$author_pid/status")
import_hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$import_pid/status")
db_bytes=$(du -sb "$work/author/chains" | cut -f1)

# One row per block: built (ms), imported (ms), settled, due, declared by the hook (ms).
awk -v last="$blocks" '
	FILENAME ~ /import.txt$/ { if ($2 == 1) imported[$1] = $3; next }
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
	}' "$work/import.txt" "$out/author.log" >"$out/blocks.csv"

awk -F, -v n="$contracts" -v f="$frequency" -v g="$genesis_secs" -v gdb="$genesis_db_bytes" \
	-v db="$db_bytes" -v ah="$author_hwm_kb" -v ih="$import_hwm_kb" '
	NR == 1 { next }
	$4 != "-" && $4 > 0 { pass++; settled += $4; if ($2 > bmax) bmax = $2; bsum += $2
		if ($3 != "-") { if ($3 > imax) imax = $3; isum += $3; ib++ }
		if ($6 > dmax) dmax = $6; dsum += $6 }
	$4 == "-" || $4 == 0 { if ($2 != "-") { idle++; isb += $2 } }
	END {
		printf "| figure | measured | weight-predicted |\n|---|---:|---:|\n"
		printf "| live contracts | %d | |\n", n
		printf "| billing blocks seen (settled > 0) | %d (%d settlements) | %d (%d a block) |\n", pass, settled, f, int((n + f - 1) / f)
		if (pass) {
			printf "| author: block build, mean / max (ms) | %.0f / %.0f | %.0f / %.0f (hook only) |\n", bsum / pass, bmax, dsum / pass, dmax
			if (ib) printf "| import: verify + import, mean / max (ms) | %.0f / %.0f | |\n", isum / ib, imax
			printf "| share of the 2,000 ms block, worst | %.1f %% | %.1f %% |\n", 100 * (bmax > imax ? bmax : imax) / 2000, 100 * dmax / 2000
			printf "| against the 500 ms settlement budget, worst | %.0f %% | %.0f %% |\n", 100 * (bmax > imax ? bmax : imax) / 500, 100 * dmax / 500
		}
		if (idle) printf "| author: block without billing, mean (ms) | %.0f | |\n", isb / idle
		printf "| genesis build (both nodes at once, s) | %.0f | |\n", g
		printf "| database on disk at genesis / at the end (MiB) | %.0f / %.0f | |\n", gdb / 1048576, db / 1048576
		printf "| peak memory, author / importer (MiB) | %.0f / %.0f | |\n", ah / 1024, ih / 1024
	}' "$out/blocks.csv" | tee "$out/report.md"
echo "scale-run: per block in $out/blocks.csv; logs in $out/"
