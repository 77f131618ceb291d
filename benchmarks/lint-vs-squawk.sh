#!/usr/bin/env bash
# On demand: `pgmigrate lint` (static) against squawk (PyPI squawk-cli) on the
# same files: the lint corpus (Tests/LintCorpus/cases, each read after
# Tests/LintCorpus/base) and sql/0001_initial_schema.sql. Prints, per file,
# the rules each tool reported, then the time of each tool (median of 21
# whole-process runs; the baseline is squawk measured in the same run) and
# the ratio. No database needed. squawk is installed into a venv when missing.
# Usage: benchmarks/lint-vs-squawk.sh          (PGMIGRATE_BIN=path to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_VENV="${PGMIGRATE_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pgmigrate-tools/venv}"
if [[ ! -x "$TOOLS_VENV/bin/squawk" ]]; then
  echo "installing squawk-cli into $TOOLS_VENV" >&2
  [[ -x "$TOOLS_VENV/bin/pip" ]] || python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install -q squawk-cli >&2
fi
SQUAWK="$TOOLS_VENV/bin/squawk"
BIN=${PGMIGRATE_BIN:-}
if [[ -z "$BIN" ]]; then
  swift build -c release --product pgmigrate >&2
  BIN=$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate
fi
unset DATABASE_URL
BASE=Tests/LintCorpus/base
CASES=(Tests/LintCorpus/cases/*.sql)

# Rules reported for one file, comma-separated (sorted, with counts when > 1).
rules() { sort | uniq -c | awk '{printf "%s%s%s", (NR>1?", ":""), $2, ($1>1?" ×"$1:"")}'; }
# The PostgreSQL version a case is written for (`-- lint-pg-version: V`), for both tools.
version() { sed -n 's/^-- lint-pg-version: //p' "$1"; }
pg_rules() {
  local v; v=$(version "$1")
  { "$BIN" lint --dir "$BASE" ${v:+--pg-version "$v"} "$1" 2>/dev/null || true; } | sed -E 's/.*\[([a-z0-9-]+)\].*/\1/' | rules
}
sq_rules() {
  local v; v=$(version "$CASE")
  { "$SQUAWK" --reporter gcc ${v:+--pg-version "$v"} "$@" "$CASE" 2>/dev/null || true; } | awk '{print $3}' | rules
}

echo "| file | pgmigrate lint | squawk | squawk --assume-in-transaction |"
echo "| --- | --- | --- | --- |"
for CASE in "${CASES[@]}"; do
  echo "| $(basename "$CASE" .sql) | $(pg_rules "$CASE") | $(sq_rules) | $(sq_rules --assume-in-transaction) |"
done
CASE=sql/0001_initial_schema.sql
pg_count=$({ "$BIN" lint --all --dir sql 2>/dev/null || true; } | wc -l)
sq_count=$({ "$SQUAWK" --reporter gcc "$CASE" 2>/dev/null || true; } | wc -l)
sq_tx_count=$({ "$SQUAWK" --reporter gcc --assume-in-transaction "$CASE" 2>/dev/null || true; } | wc -l)
echo "| sql/0001_initial_schema | $pg_count findings | $sq_count findings | $sq_tx_count findings |"
echo

t() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $(( ($(date +%s%N) - s) / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
runs=21
pg_sql=$(for _ in $(seq $runs); do t "$BIN" lint --all --dir sql; done | median)
sq_sql=$(for _ in $(seq $runs); do t "$SQUAWK" sql/0001_initial_schema.sql; done | median)
pg_corpus=$(for _ in $(seq $runs); do t "$BIN" lint --dir "$BASE" "${CASES[@]}"; done | median)
sq_corpus=$(for _ in $(seq $runs); do t "$SQUAWK" "${CASES[@]}"; done | median)
pg_noop=$(for _ in $(seq $runs); do t "$BIN" --version; done | median)
# In-process: reading, splitting and linting sql/, without the process start.
pg_inproc=$(for _ in $(seq $runs); do "$BIN" lint --all --dir sql --timings 2>&1 >/dev/null | sed -nE 's/^timings: lint ([0-9.]+) ms.*/\1/p'; done \
  | sort -n | awk '{a[NR]=$1} END {printf "%d", a[int((NR+1)/2)] * 1000}')
ms() { awk -v us="$1" 'BEGIN {printf "%.1f ms", us / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
echo "median of $runs whole-process runs (baseline: squawk, same run)"
echo "| what | pgmigrate lint | squawk | ratio |"
echo "| --- | --- | --- | --- |"
echo "| sql/ (1 file, $(grep -c '' sql/0001_initial_schema.sql) lines) | $(ms "$pg_sql") | $(ms "$sq_sql") | $(ratio "$pg_sql" "$sq_sql") |"
echo "| corpus (${#CASES[@]} files + base) | $(ms "$pg_corpus") | $(ms "$sq_corpus") | $(ratio "$pg_corpus" "$sq_corpus") |"
echo "| \`pgmigrate --version\` (process start only) | $(ms "$pg_noop") | | |"
echo "| sql/, in-process (\`lint --timings\`: read, split, lint) | $(ms "$pg_inproc") | | |"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# The budget: static lint of sql/ under 50 ms (in-process; the process start
# is the same for every pgmigrate command and is printed above).
if (( pg_inproc >= 50000 )); then
  echo "static lint of sql/ took $(ms "$pg_inproc") in-process, over the 50 ms budget" >&2
  exit 1
fi
