#!/usr/bin/env bash
# Install the dashboard's npm packages (exactly as package-lock.json says) and build it into web/dist
# (or GRID_WEB_OUT_DIR).
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
# GRID_WEB_OUT_DIR builds elsewhere than web/dist (two local grids side by side).
npm run build --silent -- --outDir "${GRID_WEB_OUT_DIR:-dist}" --emptyOutDir
