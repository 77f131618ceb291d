#!/usr/bin/env bash
# The main job, end to end, on a throwaway local PostgreSQL (or on
# DATABASE_URL when it is set): build pgmigrate, connect, report the server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  swift build -c release --product pgmigrate >&2
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

PGMIGRATE=${PGMIGRATE:-$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate}
[[ -x "$PGMIGRATE" ]] || swift build -c release --product pgmigrate >&2

step() { printf '\n$ pgmigrate %s\n' "$*"; "$PGMIGRATE" "$@"; }

step ping
