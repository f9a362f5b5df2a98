#!/usr/bin/env bash
# The `container` provisioner's figures for docs/performance.md: how long a deploy takes (the
# request, until the VM serves its page; a local image), and the agent's memory and CPU with N idle
# deployments on one node. Usage: ./scripts/agent-figures.sh [N=100] [IDLE_SECS=60]
# With HYPERVISOR=qemu (and ACCEL=kvm or tcg, default kvm) each deployment boots as a virtual
# machine; QEMU's memory per VM is reported too. Both modes end with the page's throughput: 20
# fetches of a 1 MiB file from the last deployment.
#
# Starts its own dev chain (instant sealing) on port 19944 and an agent with the container prefix
# `figures`; everything is removed at the end. Needs root and what `setup.sh --podman` installs;
# builds nothing: run the README's first command before.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
n=${1:-100}
idle=${2:-60}
hypervisor=${HYPERVISOR:-}
accel=${ACCEL:-kvm}
bin=$CARGO_TARGET_DIR/debug
work=$(mktemp -d)
url=ws://127.0.0.1:19944
image=localhost/gridchain-test:busybox
pids=()

cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ids=$(podman ps -a -q --filter label=gridchain.agent=figures)
	[ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null 2>&1 || true
	for net in $(podman network ls --format '{{.Name}}' | grep '^figures-' || true); do
		podman network rm -f "$net" >/dev/null 2>&1 || true
	done
	# What the agent would have removed on each cancellation: its mounts and its fences.
	grep -o -e "$work[^ ]*" -e '/run/gridchain-agent/figures[^ ]*' /proc/self/mounts | sort -r |
		xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$work" /run/gridchain-agent/figures
	iptables -w -t mangle -S PREROUTING | grep 'gridchain:figures-' | sed 's/^-A/-D/' |
		while read -r rule; do eval "iptables -w -t mangle $rule"; done || true
}
trap cleanup EXIT

grid() { XDG_CONFIG_HOME=$work/config "$bin/grid" --url "$url" "$@"; }

"$bin/gridchain-node" --dev --tmp --sealing instant --rpc-port 19944 --no-prometheus \
	--no-telemetry --no-mdns --listen-addr /ip4/127.0.0.1/tcp/0 2>"$work/node.log" &
pids+=($!)
until grid --key //Alice balance >/dev/null 2>&1; do sleep 0.5; done
grid --key //Alice twin create >/dev/null
grid --key //Alice farm create figures >/dev/null

# The test image of agent/tests: Debian's static busybox and a page.
if ! podman image exists "$image"; then
	root=$work/rootfs
	mkdir -p "$root"/{bin,www,etc,root,tmp,proc,sys,dev,data}
	cp /bin/busybox "$root/bin/"
	for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
	echo 'hello from a gridchain container' >"$root/www/index.html"
	head -c 1048576 /dev/zero | tr '\0' x >"$root/www/big.bin"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	tar -C "$root" -cf "$work/image.tar" .
	podman import --quiet "$work/image.tar" "$image" >/dev/null
fi

cat >"$work/agent.toml" <<EOF
url = "$url"
key = "//Bob"
farm_id = 1
listen = "127.0.0.1:19080"
public_url = "http://127.0.0.1:19080"
data_dir = "$work/agent"
report_interval_secs = 30
provisioner = "container"
[container]
prefix = "figures"
hypervisor = "$hypervisor"
accel = "$accel"
[location]
country = "BE"
city = "Ghent"
[capacity]
cru = 1000
mru = 1099511627776
sru = 1099511627776
hru = 0
EOF
chmod 600 "$work/agent.toml"
"$bin/grid-agent" run --config "$work/agent.toml" 2>"$work/agent.log" &
agent=$!
pids+=($agent)
until curl -sf http://127.0.0.1:19080/v1/health >/dev/null; do sleep 0.5; done
grid --key //Charlie twin create >/dev/null

ms() { date +%s%3N; }
deploy_ms=()
serving_ms=()
for i in $(seq 1 "$n"); do
	doc=$work/vm$i.json
	grid --key //Charlie deployment new --name "vm$i" --image "$image" --memory 256M --rootfs 1G \
		--entrypoint 'httpd -f -p 80 -h /www' -o "$doc" >/dev/null 2>&1
	grid --key //Charlie deployment sign "$doc" >/dev/null
	start=$(ms)
	id=$(grid --key //Charlie --json contract deploy --node 1 "$doc" | sed -n 's/.*"contract_id": *\([0-9]*\).*/\1/p' | head -1)
	deployed=$(ms)
	ip=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "figures-$id-vm$i")
	until curl -sf -m 1 "http://$ip/" >/dev/null; do sleep 0.05; done
	serving=$(ms)
	deploy_ms+=($((deployed - start)))
	serving_ms+=($((serving - start)))
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "mean %d ms, p50 %d ms, p90 %d ms, max %d ms", s/NR, a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'; }
provision=$(sed 's/\x1b\[[0-9;]*m//g' "$work/agent.log" | grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2)

echo "Deployments: $n (busybox httpd, 1 vCPU, 256 MiB, 1 GiB rootfs, no disk, no public IP)${hypervisor:+ as VMs ($hypervisor, $accel)}"
echo "  agent's provisioning (rootfs made, image copied, container started): $(stats $provision)"
echo "  grid contract deploy (contract on chain, request, provisioning, confirmation): $(stats "${deploy_ms[@]}")"
echo "  request until the page answers: $(stats "${serving_ms[@]}")"
start=$(ms)
for _ in $(seq 1 20); do curl -sf -o /dev/null "http://$ip/big.bin"; done
echo "  20 x 1 MiB from the last deployment's page: $(( $(ms) - start )) ms"
if [ "$hypervisor" = qemu ]; then
	rss=$(ps -o rss= -C qemu-system-x86 | awk '{s+=$1} END {print s}')
	echo "  QEMU's resident memory: $((rss / 1024 / n)) MiB a VM (256 MiB of guest RAM each)"
fi

# The agent's own time and that of the podman commands it ran (waited-for children).
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$agent/stat"; }
hz=$(getconf CLK_TCK)
sleep 5
before=$(ticks)
sleep "$idle"
after=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
echo "Idle for ${idle} s with $n deployments (supervised every 2 s, reported every 30 s):"
echo "  agent CPU: $(awk -v t=$((after - before)) -v hz="$hz" -v s="$idle" 'BEGIN {printf "%.1f %% of a core", 100 * t / hz / s}')"
echo "  agent memory: RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
echo "  containers running: $(podman ps -q --filter label=gridchain.agent=figures | wc -l)"
