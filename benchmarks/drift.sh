#!/usr/bin/env bash
# On-demand benchmark (not a test): `pgmigrate drift` on the full schema as a
# whole process (release build), against psql running the same catalog
# queries once (benchmarks/drift-catalog-queries.sql), with the split between
# shadow set-up and inspection that `pgmigrate drift --timings` reports.
#
#   benchmarks/drift.sh [RUNS]     (default 10; starts a throwaway PostgreSQL unless DATABASE_URL is set)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${DATABASE_URL:-}" ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
RUNS=${1:-10}

swift build -c release --product pgmigrate >/dev/null 2>&1 || { echo "release build failed" >&2; exit 1; }
BIN=.build/release/pgmigrate

DB=pgm_bench_drift_$$
psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
URL=$("$BIN" ping --json --database-url "$DATABASE_URL" >/dev/null && python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$DATABASE_URL" "$DB")
psql "$URL" -q -v ON_ERROR_STOP=1 -f sql/0001_initial_schema.sql >/dev/null

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1000000 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m }'; }

drift_total=(); psql_total=(); create=(); populate=(); drop=(); live=(); shadow=()
for _ in $(seq "$RUNS"); do
  start=$(now_ms)
  timings=$("$BIN" drift --database-url "$URL" --timings 2>&1 >/dev/null | grep '^timings:')
  end=$(now_ms)
  drift_total+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")
  create+=("$(sed -E 's/.*shadow create ([0-9.]+) ms.*/\1/' <<<"$timings")")
  populate+=("$(sed -E 's/.*populate ([0-9.]+) ms.*/\1/' <<<"$timings")")
  drop+=("$(sed -E 's/.*drop ([0-9.]+) ms.*/\1/' <<<"$timings")")
  live+=("$(sed -E 's/.*inspect live ([0-9.]+) ms.*/\1/' <<<"$timings")")
  shadow+=("$(sed -E 's/.*, shadow ([0-9.]+) ms.*/\1/' <<<"$timings")")

  start=$(now_ms)
  psql "$URL" -qAt -v ON_ERROR_STOP=1 -f benchmarks/drift-catalog-queries.sql >/dev/null
  end=$(now_ms)
  psql_total+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")
done

row() { printf '%-58s %10s\n' "$1" "$2"; }
echo "drift benchmark: PostgreSQL $(psql "$URL" -qAt -c 'SHOW server_version'), $RUNS runs, medians in ms"
row "what" "median ms"
row "----" "---------"
row "pgmigrate drift, whole process (release)" "$(printf '%s\n' "${drift_total[@]}" | median)"
row "  shadow set-up: CREATE DATABASE" "$(printf '%s\n' "${create[@]}" | median)"
row "  shadow set-up: apply the model's SQL" "$(printf '%s\n' "${populate[@]}" | median)"
row "  shadow set-up: DROP DATABASE … WITH (FORCE)" "$(printf '%s\n' "${drop[@]}" | median)"
row "  inspection: live database (11 queries)" "$(printf '%s\n' "${live[@]}" | median)"
row "  inspection: shadow database (11 queries)" "$(printf '%s\n' "${shadow[@]}" | median)"
row "psql -f drift-catalog-queries.sql, whole process (once)" "$(printf '%s\n' "${psql_total[@]}" | median)"
row "migra" "n/a: migra is not installed here; not measured"
