#!/usr/bin/env bash
# Runs every test: builds with warnings treated as failures, runs the unit and
# integration tests against a real PostgreSQL (a throwaway cluster unless
# DATABASE_URL is set), checks that sql/ matches the Swift model, builds and
# installs the .deb and runs it without Swift (scripts/package-check.sh; as
# root, and always in CI; PGMIGRATE_SKIP_PACKAGE=1 skips it elsewhere), and runs
# the demo (scripts/demo.sh) on an empty database with the debug build.
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

echo "== scripts/package-check.sh (build the .deb, install it with apt-get, run /usr/bin/pgmigrate without Swift, purge it)" >&2
if [[ -z "${CI:-}" && "${PGMIGRATE_SKIP_PACKAGE:-0}" == 1 ]]; then
  echo "skipped: PGMIGRATE_SKIP_PACKAGE=1 (CI always runs it)" >&2
elif [[ -z "${CI:-}" && $(id -u) -ne 0 ]]; then
  echo "skipped: installing a .deb needs root (CI runs as root)" >&2
elif [[ ! "$DATABASE_URL" =~ ^postgres(ql)?:// ]]; then
  echo "skipped: DATABASE_URL is not a postgres:// URL, so the check's database URL cannot be derived" >&2
else
  scripts/package-check.sh
fi

echo "== scripts/demo.sh (the main job, on an empty database pgmigrate_demo, with the debug build)" >&2
if [[ ! "$DATABASE_URL" =~ ^postgres(ql)?:// ]]; then
  echo "skipped: DATABASE_URL is not a postgres:// URL, so the demo database's URL cannot be derived" >&2
  exit 0
fi
base=${DATABASE_URL%%\?*}
query=${DATABASE_URL#"$base"}
DEMO_URL="${base%/*}/pgmigrate_demo$query"
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS pgmigrate_demo" -c "CREATE DATABASE pgmigrate_demo"
if ! DATABASE_URL="$DEMO_URL" PGMIGRATE_BIN=.build/debug/pgmigrate scripts/demo.sh >"$LOG" 2>&1; then
  cat "$LOG" >&2
  echo "the demo failed (output above)" >&2
  exit 1
fi
psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS pgmigrate_demo"
echo "the demo ran to the end: $(grep -c '^\$ ' "$LOG") steps" >&2

