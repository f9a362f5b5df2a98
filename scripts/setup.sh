#!/usr/bin/env bash
# Install what building and testing Gridchain needs on Debian/Ubuntu with rustup: protoc, the
# reference `age` tool (interop tests), a PostgreSQL server (the indexer's tests start their own),
# Node.js and npm (the web dashboard), the wasm targets and rust-src; with `--browser`, Debian's
# Chromium too (the dashboard's browser tests); with `--jq`, jq (the scale run's chain spec); with
# `--podman`, what the node agent's `container` provisioner needs (Podman, runc, uidmap, a
# `containers` range in /etc/subuid and /etc/subgid), Debian's static busybox (the agent tests'
# image), and what its `hypervisor = "qemu"` mode boots guests with (QEMU, Debian's cloud kernel,
# cpio for the guests' initramfs). Safe to run again; it skips what is there.
set -euo pipefail
browser=false
jq=false
podman=false
for arg in "$@"; do
	case "$arg" in
	--browser) browser=true ;;
	--jq) jq=true ;;
	--podman) podman=true ;;
	*) echo "setup.sh: unknown option '$arg' (expected --browser, --jq or --podman)" >&2; exit 2 ;;
	esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v age >/dev/null 2>&1 || missing+=(age)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if $browser; then command -v chromium >/dev/null 2>&1 || missing+=(chromium); fi
if $jq; then command -v jq >/dev/null 2>&1 || missing+=(jq); fi
if $podman; then
	command -v podman >/dev/null 2>&1 || missing+=(podman)
	command -v runc >/dev/null 2>&1 || missing+=(runc)
	command -v newuidmap >/dev/null 2>&1 || missing+=(uidmap)
	[ -x /usr/lib/podman/netavark ] || missing+=(netavark)
	[ -x /usr/lib/podman/aardvark-dns ] || missing+=(aardvark-dns)
	command -v iptables >/dev/null 2>&1 || missing+=(iptables)
	command -v ip >/dev/null 2>&1 || missing+=(iproute2)
	command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
	dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
	command -v cpio >/dev/null 2>&1 || missing+=(cpio)
	command -v modinfo >/dev/null 2>&1 || missing+=(kmod)
	ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-cloud-amd64)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "==> installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Vite 8 needs Node.js 20.19 or later.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
	echo "Node.js $(node --version) is too old for the dashboard's build (Vite needs 20.19 or later): install a newer nodejs package" >&2
	exit 1
fi

for target in wasm32-unknown-unknown wasm32v1-none; do
	if ! rustup target list --installed | grep -q "^$target\$"; then
		echo "==> adding the $target target"
		rustup target add "$target"
	fi
done

if ! rustup component list --installed | grep -q '^rust-src'; then
	echo "==> adding the rust-src component"
	rustup component add rust-src
fi

# Podman's `--userns`/`--uidmap` take host ids from the `containers` range; the agent gives each
# VM 65,536 of them.
if $podman; then
	for file in /etc/subuid /etc/subgid; do
		if ! grep -q '^containers:' "$file" 2>/dev/null; then
			echo "==> adding a containers range to $file"
			echo 'containers:2147483647:2147483648' | $SUDO tee -a "$file" >/dev/null
		fi
	done
fi
