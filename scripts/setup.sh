#!/usr/bin/env bash
# Install what building and testing Gridchain needs on Debian/Ubuntu with rustup: protoc, the
# reference `age` tool (interop tests), a PostgreSQL server (the indexer's tests start their own),
# the wasm targets and rust-src. Safe to run again; it skips what is there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v age >/dev/null 2>&1 || missing+=(age)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
	echo "==> installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
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
