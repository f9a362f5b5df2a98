#!/usr/bin/env bash
# Install what building Gridchain needs on Debian/Ubuntu with rustup: protoc, the wasm target and
# rust-src. Safe to run again; it skips what is there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if ! command -v protoc >/dev/null 2>&1; then
	echo "==> installing protobuf-compiler"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler
fi

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
	echo "==> adding the wasm32-unknown-unknown target"
	rustup target add wasm32-unknown-unknown
fi

if ! rustup component list --installed | grep -q '^rust-src'; then
	echo "==> adding the rust-src component"
	rustup component add rust-src
fi
