#!/usr/bin/env bash
# The main job, end to end, on a throwaway local PostgreSQL (or on
# DATABASE_URL when it is set): build pgmigrate, migrate an empty database,
# show the status, migrate again (nothing to do), run the retention purge the
# way cron would, and end with a clean drift check.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  swift build -c release --product pgmigrate >&2
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

BIN=$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate
[[ -x "$BIN" ]] || swift build -c release --product pgmigrate >&2

step() { printf '\n$ pgmigrate %s\n' "$*"; "$BIN" "$@"; }

step ping
step migrate
step status
step migrate
step purge --dry-run
step purge
step drift
