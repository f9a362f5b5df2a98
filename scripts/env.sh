# Sourced by the other scripts: one target dir outside the clone, shared by every build and test.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gridchain-target}"
