#!/usr/bin/env bash
# On-demand benchmark (not a test): `pgmigrate generate` as a whole process
# (release build) on the unchanged model (the issue's target: under 2 s,
# scratch databases included), `generate --check`, and `generate` planning
# and proving a change, against the baseline measured in the same run: the
# replay that Atlas's `migrate diff` does before it inspects anything
# (CREATE DATABASE, every file of sql/ applied with psql, DROP DATABASE).
#
#   benchmarks/generate.sh [RUNS]     (default 10; starts a throwaway PostgreSQL unless DATABASE_URL is set)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${DATABASE_URL:-}" ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
RUNS=${1:-10}

swift build -c release --product pgmigrate >/dev/null 2>&1 || { echo "release build failed" >&2; exit 1; }
BIN=.build/release/pgmigrate

WORK=$(mktemp -d)
DB=pgm_bench_replay_$$
trap 'rm -rf "$WORK"; psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
cp -r sql "$WORK/unchanged"
cp -r sql "$WORK/changed"
printf 'ALTER TABLE public.call_sessions ADD COLUMN note text;\n' > "$WORK/changed/0002_hand_written.sql"
URL=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$DATABASE_URL" "$DB")

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1000000 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m }'; }
timed() { local start end; start=$(now_ms); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; end=$(now_ms); awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }'; }

replay() {
  psql "$DATABASE_URL" -qAt -c "CREATE DATABASE $DB TEMPLATE template0"
  for file in sql/*.sql; do psql "$URL" -q -v ON_ERROR_STOP=1 -f "$file"; done
  psql "$DATABASE_URL" -qAt -c "DROP DATABASE $DB WITH (FORCE)"
}

baseline=(); unchanged=(); check=(); changed=()
for _ in $(seq "$RUNS"); do
  baseline+=("$(timed replay)")
  unchanged+=("$(timed "$BIN" generate --dir "$WORK/unchanged")")
  check+=("$(timed "$BIN" generate --check --dir "$WORK/unchanged")")
  changed+=("$(timed "$BIN" generate --dir "$WORK/changed" --dry-run --allow-hazards data-loss)")
done
[[ $(ls "$WORK/unchanged" | wc -l) -eq 1 ]] || { echo "generate on the unchanged model wrote a file" >&2; exit 1; }

b=$(printf '%s\n' "${baseline[@]}" | median)
row() { printf '%-66s %10s %8s\n' "$1" "$2" "$3"; }
ratio() { awk -v a="$1" -v b="$b" 'BEGIN { printf "%.2fx", a / b }'; }
echo "generate benchmark: PostgreSQL $(psql "$DATABASE_URL" -qAt -c 'SHOW server_version'), $RUNS runs, medians in ms"
row "what" "median ms" "vs base"
row "----" "---------" "-------"
row "baseline: replay sql/ with psql (createdb, psql -f each, dropdb)" "$b" "1.00x"
for pair in "pgmigrate generate, unchanged model (nothing to generate)|unchanged" \
            "pgmigrate generate --check (replay + model, compare)|check" \
            "pgmigrate generate --dry-run, one change planned and proven|changed"; do
  label=${pair%%|*}; name=${pair##*|}
  eval "values=(\"\${${name}[@]}\")"
  m=$(printf '%s\n' "${values[@]}" | median)
  row "$label" "$m" "$(ratio "$m")"
done
if command -v atlas >/dev/null; then
  echo "atlas is installed: compare with 'atlas migrate diff --dev-url …' by hand"
else
  row "atlas migrate diff" "n/a" "not installed here; not measured"
fi
