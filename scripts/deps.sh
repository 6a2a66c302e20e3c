#!/usr/bin/env bash
# Installs the npm dependencies when missing or older than the lockfile, then builds. Quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo '[deps] installing npm dependencies' >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
node scripts/build.mjs
