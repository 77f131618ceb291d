#!/usr/bin/env bash
# Benchmark (on demand, not part of the tests): pgmigrate migrate against psql.
#
#   benchmarks/migrate.sh [FILES] [REPETITIONS]
#
# 1. Applies FILES (default 50) generated migrations (tables, indexes,
#    functions, rows) to an empty database with `pgmigrate migrate`, and the
#    same files with `psql -1 -f …`; target ratio ≤ 1.2×.
# 2. A no-op `pgmigrate migrate` (everything applied) against
#    `psql -c 'select 1'`, both as whole processes; target ratio ≤ 2×.
# Release build; median of REPETITIONS (default 7) runs. Uses DATABASE_URL, or a
# throwaway cluster (scripts/throwaway-postgres.sh) when it is unset.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  swift build -c release --product pgmigrate >&2
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

FILES=${1:-50}
REPS=${2:-7}
PGMIGRATE=${PGMIGRATE:-$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate}
[[ -x "$PGMIGRATE" ]] || swift build -c release --product pgmigrate >&2
PSQL=${PSQL:-psql}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgmigrate-bench.XXXXXX")
DBS=()
cleanup() {
  for db in "${DBS[@]}"; do "$PSQL" -q -X "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/sql"
for n in $(seq 1 "$FILES"); do
  v=$(printf '%04d' "$n")
  cat >"$WORK/sql/${v}_step_$n.sql" <<SQL
-- generated migration $n
CREATE TABLE item_$n (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (name <> ''),
    amount numeric(12, 2) NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_${n}_name ON item_$n (name);
CREATE INDEX item_${n}_created ON item_$n (created_at DESC);
CREATE FUNCTION item_${n}_total() RETURNS numeric LANGUAGE plpgsql STABLE AS \$fn\$
BEGIN
    RETURN (SELECT coalesce(sum(amount), 0) FROM item_$n); -- a ; in a comment
END;
\$fn\$;
INSERT INTO item_$n (name, amount) SELECT 'row ' || g, g / 10.0 FROM generate_series(1, 200) g;
COMMENT ON TABLE item_$n IS 'generated; for the benchmark';
SQL
done

now_ns() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
newdb() {
  local name="pgm_bench_$(date +%s%N)_$RANDOM"
  "$PSQL" -q -X "$DATABASE_URL" -c "CREATE DATABASE $name" >/dev/null
  DBS+=("$name")
  echo "$name"
}
source scripts/lib/database-url.sh
url_for() { database_url "$1"; }

files=("$WORK"/sql/*.sql)
psql_args=()
for f in "${files[@]}"; do psql_args+=(-f "$f"); done

apply_pgm=() apply_psql=() noop_pgm=() noop_psql=()
for rep in $(seq 1 "$REPS"); do
  db=$(newdb)
  start=$(now_ns)
  DATABASE_URL=$(url_for "$db") "$PGMIGRATE" migrate --dir "$WORK/sql" >/dev/null 2>&1
  apply_pgm+=($(( ($(now_ns) - start) / 1000 )))

  db2=$(newdb)
  start=$(now_ns)
  "$PSQL" -q -X -1 -v ON_ERROR_STOP=1 "$(url_for "$db2")" "${psql_args[@]}" >/dev/null
  apply_psql+=($(( ($(now_ns) - start) / 1000 )))

  start=$(now_ns)
  DATABASE_URL=$(url_for "$db") "$PGMIGRATE" migrate --dir "$WORK/sql" >/dev/null 2>&1
  noop_pgm+=($(( ($(now_ns) - start) / 1000 )))

  start=$(now_ns)
  "$PSQL" -q -X "$(url_for "$db")" -c 'select 1' >/dev/null
  noop_psql+=($(( ($(now_ns) - start) / 1000 )))
done

m_apply_pgm=$(printf '%s\n' "${apply_pgm[@]}" | median)
m_apply_psql=$(printf '%s\n' "${apply_psql[@]}" | median)
m_noop_pgm=$(printf '%s\n' "${noop_pgm[@]}" | median)
m_noop_psql=$(printf '%s\n' "${noop_psql[@]}" | median)

echo "pgmigrate $("$PGMIGRATE" --version) vs $("$PSQL" --version | head -n 1); $FILES migrations, median of $REPS runs"
awk -v a="$m_apply_pgm" -v b="$m_apply_psql" -v c="$m_noop_pgm" -v d="$m_noop_psql" -v n="$FILES" 'BEGIN {
  printf "%-44s %12s %12s %8s %8s\n", "case", "pgmigrate ms", "psql ms", "ratio", "target"
  printf "%-44s %12.1f %12.1f %7.2fx %8s\n", "apply " n " files to an empty database", a / 1000, b / 1000, a / b, "<= 1.2x"
  printf "%-44s %12.1f %12.1f %7.2fx %8s\n", "no-op migrate vs psql -c \"select 1\"", c / 1000, d / 1000, c / d, "<= 2x"
}'
