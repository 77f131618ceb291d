#!/usr/bin/env bash
# On demand: `pgmigrate drift` (live vs a shadow built from the model) against
# migra comparing two already-migrated databases, median of 5 whole-process
# runs each. Needs a release build and migra (`pip install migra psycopg2-binary`).
# Usage: scripts/throwaway-postgres.sh benchmarks/drift-vs-migra.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v migra >/dev/null || { echo "migra not installed: pip install migra psycopg2-binary" >&2; exit 1; }
BIN=$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate
source scripts/lib/database-url.sh
url_a=$(database_url a)
url_b=$(database_url b)
for db in a b; do psql -q "$DATABASE_URL" -c "create database $db"; DATABASE_URL=$(database_url $db) $BIN migrate --dir sql >/dev/null 2>&1; done
t() { local s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $(( ($(date +%s%N)-s)/1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "migra (two migrated databases, --with-privileges):"
for i in 1 2 3 4 5; do t migra --unsafe --with-privileges --schema public ${url_a/postgres:/postgresql+psycopg2:} ${url_b/postgres:/postgresql+psycopg2:}; done | median
echo "pgmigrate drift (live vs shadow built from the model):"
for i in 1 2 3 4 5; do t env DATABASE_URL=$url_a $BIN drift; done | median
