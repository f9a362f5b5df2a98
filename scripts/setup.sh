#!/usr/bin/env bash
# Install what building and testing Gridchain needs on Debian/Ubuntu with rustup: protoc, the
# reference `age` tool (interop tests), a PostgreSQL server (the indexer's tests start their own),
# Node.js and npm (the web dashboard), the wasm targets and rust-src; with `--browser`, Debian's
# Chromium too (the dashboard's browser tests); with `--jq`, jq (the scale run's chain spec). Safe
# to run again; it skips what is there.
set -euo pipefail
browser=false
jq=false
for arg in "$@"; do
	case "$arg" in
	--browser) browser=true ;;
	--jq) jq=true ;;
	*) echo "setup.sh: unknown option '$arg' (expected --browser or --jq)" >&2; exit 2 ;;
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
