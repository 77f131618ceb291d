#!/usr/bin/env bash
# Benchmark (on demand, not a test): `pgmigrate drift` (live schema vs the
# model) against migra (PyPI migra) comparing two databases that hold the same
# schema, whole processes on the same server, interleaved, medians of REPS runs.
#
#   benchmarks/drift-vs-migra.sh [REPS]          SCHEMAS="1 10" for the scaling run
#
# Rows (targets from issue 15):
#   clean drift, model catalog cached                       ≤ 0.10× migra
#   drift just after a model change (empty cache: shadow built, then stored) ≤ 0.5×
#   drift --no-cache (for reference)
# With SCHEMAS="1 10": the model copied into 1 and 10 schemas of both
# databases; pgmigrate checks each schema (one process per schema, cached)
# and schema s1 alone (the same work in a 10× larger catalog), migra compares
# the whole databases once; the growth from 1 to 10 is printed.
# Release build; DATABASE_URL, or a throwaway server when unset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DATABASE_URL:-} ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
source benchmarks/lib/peers.sh
REPS=${1:-9}
SCHEMAS=${SCHEMAS:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgm-drift.XXXXXX")
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
ensure_peers
ensure_pgmigrate
migra_url() { local u; u=$(db_url "$1"); echo "postgresql+psycopg2://${u#*://}"; }

for db in drift_a drift_b; do
  create_db "$db"
  DATABASE_URL=$(db_url "$db") "$PGMIGRATE" migrate --dir sql >/dev/null 2>&1
done
A=$(db_url drift_a)
export PGMIGRATE_CACHE_DIR=$WORK/cache
DATABASE_URL=$A "$PGMIGRATE" drift >/dev/null 2>&1   # fills the cache

echo "pgmigrate $("$PGMIGRATE" --version) vs migra $("$VENV/bin/pip" show migra 2>/dev/null | awk '/^Version/ {print $2}'); median of $REPS interleaved runs; $(load_line)"
echo
echo "| work | pgmigrate ms (CPU) | migra ms (CPU) | ratio | target | met |"
echo "| --- | --- | --- | --- | --- | --- |"
for i in $(seq 1 "$REPS"); do
  sample migra "$MIGRA" --unsafe --with-privileges --schema public "$(migra_url drift_a)" "$(migra_url drift_b)"
  sample clean env DATABASE_URL="$A" "$PGMIGRATE" drift
  sample changed env DATABASE_URL="$A" PGMIGRATE_CACHE_DIR="$WORK/empty-$i" "$PGMIGRATE" drift
  sample nocache env DATABASE_URL="$A" "$PGMIGRATE" drift --no-cache
done
table_row "clean \`drift\` (model catalog cached) vs migra on two databases with the same schema" clean migra 0.10
table_row "\`drift\` just after a model change (cache miss: shadow built and stored)" changed migra 0.5
table_row "\`drift --no-cache\` (shadow built every time)" nocache migra 0.5

[[ -n $SCHEMAS ]] || exit 0
echo
echo "Scaling: the model in N schemas of both databases (N times the objects); pgmigrate drift once per schema (cached),"
echo "and once for schema s1 alone (the same work in an N times larger catalog); migra once over both databases."
echo
echo "| schemas | pgmigrate, every schema, ms (CPU) | pgmigrate, s1 only, ms (CPU) | migra ms (CPU) | ratio (every schema) |"
echo "| --- | --- | --- | --- | --- |"
for n in $SCHEMAS; do
  for db in "scale_${n}_a" "scale_${n}_b"; do
    create_db "$db"
    for k in $(seq 1 "$n"); do "$PGMIGRATE" schema --schema "s$k" | psql -X -q -v ON_ERROR_STOP=1 "$(db_url "$db")" >/dev/null; done
  done
  u=$(db_url "scale_${n}_a")
  loop="for k in \$(seq 1 $n); do DATABASE_URL='$u' '$PGMIGRATE' drift --schema s\$k || exit 1; done"
  bash -c "$loop" >/dev/null 2>&1   # fills the cache
  for _ in $(seq 1 "$REPS"); do
    sample "scale_pgm_$n" bash -c "$loop"
    sample "scale_one_$n" env DATABASE_URL="$u" "$PGMIGRATE" drift --schema s1
    sample "scale_migra_$n" "$MIGRA" --unsafe --with-privileges "$(migra_url "scale_${n}_a")" "$(migra_url "scale_${n}_b")"
  done
  awk -v n="$n" -v wa="$(median "scale_pgm_$n" wall)" -v ca="$(median "scale_pgm_$n" cpu)" \
      -v wo="$(median "scale_one_$n" wall)" -v co="$(median "scale_one_$n" cpu)" \
      -v wb="$(median "scale_migra_$n" wall)" -v cb="$(median "scale_migra_$n" cpu)" \
      'BEGIN { printf "| %d | %.0f (%.0f) | %.0f (%.0f) | %.0f (%.0f) | %.2f× |\n", n, wa, ca, wo, co, wb, cb, wa / wb }'
done
