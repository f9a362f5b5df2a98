#!/usr/bin/env bash
# Install the dashboard's npm packages (exactly as package-lock.json says) and build it into web/dist.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
