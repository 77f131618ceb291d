#!/usr/bin/env bash
# Runs every test: builds with warnings treated as failures, runs the unit and
# integration tests against a real PostgreSQL (a throwaway cluster unless
# DATABASE_URL is set), and checks that sql/ matches the Swift model.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "== build (warnings in this package fail the build)" >&2
swift build --build-tests 2>&1 | tee "$LOG" | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2 || { echo "build failed" >&2; exit 1; }
# Only our own sources: dependencies' warnings are not ours to fix.
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$LOG" >&2; then
  echo "build produced warnings (above)" >&2
  exit 1
fi

echo "== swift test" >&2
swift test --skip-build "$@"

echo "== pgmigrate generate --check --replay (sql/ matches the model, and replaying it gives the model)" >&2
.build/debug/pgmigrate generate --check --replay
