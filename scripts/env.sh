# Sourced by the other scripts: one target dir outside the clone, shared by every build and test.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gridchain-target}"
# The packages the README's two commands build: the workspace without the benchmark tools
# (`gridchain-bench`, `gridchain-microbench`), whose features would otherwise be unified into the
# node. `cargo build "${grid_packages[@]}" --bins` builds exactly the artifacts that
# `cargo test "${grid_packages[@]}"` then reuses: no dev-dependency changes a feature of a crate
# the binaries use.
grid_packages=(--workspace --exclude gridchain-bench --exclude gridchain-microbench)
