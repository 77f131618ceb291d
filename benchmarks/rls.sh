#!/usr/bin/env bash
# What the enforced rules cost: call_events inserts through all triggers and
# row-level security vs a bare copy of the table, tenant reads through RLS vs
# an explicit WHERE, and the denormalised tenant column vs a policy that joins
# through call_sessions. Prints a table. Run on demand; not a test.
#
#   benchmarks/rls.sh                 on a throwaway server (scripts/throwaway-postgres.sh)
#   DATABASE_URL=... benchmarks/rls.sh  on a server you own (creates and drops database pgm_bench)
#
# Each round runs every case once, back to back (interleaved), and ratios are
# taken within a round, so a slow patch of a shared machine hits a case and its
# baseline alike; the table reports the median ratio and the range over rounds.
# Where the server runs on this machine it also reports the server's CPU time
# per insert, read from /proc, which a busy client or network does not blur.
# For instruction counts per insert, by part, see benchmarks/rls-profile.sh.
#
# Environment: BENCH_SECONDS (per pgbench run, default 3), BENCH_RUNS (rounds,
# default 9), BENCH_CPU_INSERTS (inserts per CPU sample, default 5000),
# BENCH_SESSIONS (default 100000), BENCH_EVENTS_PER_SESSION (default 10),
# BENCH_TENANTS (default 100), BENCH_PROTOCOL (pgbench -M: prepared, as drivers
# and ORMs send statements, or simple). About 7 minutes with the defaults on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

SECONDS_PER_RUN=${BENCH_SECONDS:-3}
RUNS=${BENCH_RUNS:-9}

log() { printf 'rls-bench: %s\n' "$*" >&2; }
source benchmarks/lib/events-data.sh

trap drop_bench_database EXIT
load_events_data with-join

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; drop_bench_database' EXIT

# One random session of the tenant; clock_timestamp() keeps each session's events in order.
cat >"$WORK/insert_rules.sql" <<SQL
\set j random(0, $((SESSIONS_PER_TENANT - 1)))
INSERT INTO call_events (call_session_id, event_type, source, timestamp)
VALUES (md5('s' || ($TENANT + $TENANTS * :j))::uuid, 'question_asked', 'ai', clock_timestamp());
SQL
cat >"$WORK/insert_bare.sql" <<SQL
\set j random(0, $((SESSIONS_PER_TENANT - 1)))
INSERT INTO bare_events (call_session_id, business_id, event_type, source, timestamp)
VALUES (md5('s' || ($TENANT + $TENANTS * :j))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp());
SQL
cat >"$WORK/insert_join.sql" <<SQL
\set j random(0, $((SESSIONS_PER_TENANT - 1)))
INSERT INTO join_events (call_session_id, business_id, event_type, source, timestamp)
VALUES (md5('s' || ($TENANT + $TENANTS * :j))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp());
SQL
echo "SELECT count(*) FROM call_events;" >"$WORK/count_rls.sql"
echo "SELECT count(*) FROM call_events WHERE business_id = '$TENANT_ID';" >"$WORK/count_where.sql"
echo "SELECT count(*) FROM join_events;" >"$WORK/count_join.sql"
echo "SELECT id, timestamp FROM call_events ORDER BY timestamp DESC LIMIT 100;" >"$WORK/top_rls.sql"
echo "SELECT id, timestamp FROM call_events WHERE business_id = '$TENANT_ID' ORDER BY timestamp DESC LIMIT 100;" >"$WORK/top_where.sql"
echo "SELECT id, timestamp FROM join_events ORDER BY timestamp DESC LIMIT 100;" >"$WORK/top_join.sql"

TENANT_OPTIONS="-c role=business_app -c app.current_business_id=$TENANT_ID"
PROTOCOL=${BENCH_PROTOCOL:-prepared}
sed 's/bare_events/bare_fk_events/' "$WORK/insert_bare.sql" >"$WORK/insert_bare_fk.sql"

# One pgbench run: average latency (ms) of one script as business_app with the tenant set
# ("tenant") or as the superuser ("superuser").
latency() {
  local script=$1 who=$2 options="" out
  [[ $who == tenant ]] && options=$TENANT_OPTIONS
  out=$(PGOPTIONS="$options" pgbench -n -M "$PROTOCOL" -c 1 -j 1 -T "$SECONDS_PER_RUN" -f "$WORK/$script.sql" "$DB_URL" 2>&1) \
    || { echo "$out" >&2; log "pgbench failed for $script"; exit 1; }
  awk '/latency average/ {print $4}' <<<"$out"
}

# The server's CPU time per insert (µs): one connection runs CPU_INSERTS prepared
# inserts while this script reads the backend's user+system time from /proc
# before and after. Only where the server runs on this machine.
printf '%s\n' 'SELECT pg_backend_pid() AS pid \gset' '\setenv BENCH_PID :pid' \
  '\! grep -qs "^$BENCH_PID (postgres)" /proc/$BENCH_PID/stat && echo yes || echo no' >"$WORK/cpu_probe.sql"
cpu_probe_ok=$(psql_bench -f "$WORK/cpu_probe.sql")
CPU_INSERTS=${BENCH_CPU_INSERTS:-5000}
make_cpu_script() { # name, insert statement with $1 for the session number
  {
    echo "SELECT pg_backend_pid() AS pid \\gset"
    echo "\\setenv BENCH_PID :pid"
    echo "PREPARE ins(int) AS $2"
    for i in $(seq 100); do echo "EXECUTE ins($(( (i * 7919) % SESSIONS_PER_TENANT )));"; done  # warm-up
    echo '\! awk "{print \$14 + \$15}" /proc/$BENCH_PID/stat'
    for i in $(seq "$CPU_INSERTS"); do echo "EXECUTE ins($(( (i * 7919 + 13) % SESSIONS_PER_TENANT )));"; done
    echo '\! awk "{print \$14 + \$15}" /proc/$BENCH_PID/stat'
  } >"$WORK/cpu_$1.sql"
}
make_cpu_script rules "INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, 'question_asked', 'ai', clock_timestamp());"
make_cpu_script bare "INSERT INTO bare_events (call_session_id, business_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp());"
make_cpu_script bare_fk "INSERT INTO bare_fk_events (call_session_id, business_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp());"
cpu_per_insert() {
  local ticks
  ticks=$(set -o pipefail; PGOPTIONS="$TENANT_OPTIONS" psql_bench -f "$WORK/cpu_$1.sql" | tr '\n' ' ')
  awk -v n="$CPU_INSERTS" -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($2 - $1) / hz * 1e6 / n}' <<<"$ticks"
}

# Interleaved rounds: every round measures each case of a group once, back to
# back, so a slow patch of the machine hits the case and its baseline alike.
# Ratios are taken within a round; the table shows their median and range.
declare -A samples  # case -> space-separated values, one per round
record() { samples[$1]+="$2 "; }
cases=(insert_bare:tenant insert_bare_fk:tenant insert_rules:tenant insert_join:tenant
       count_where:superuser count_rls:tenant count_join:tenant
       top_where:superuser top_rls:tenant top_join:tenant)
for round in $(seq "$RUNS"); do
  log "round $round of $RUNS (${#cases[@]} pgbench runs of ${SECONDS_PER_RUN}s)"
  for case in "${cases[@]}"; do
    value=$(latency "${case%%:*}" "${case##*:}")
    record "${case%%:*}" "$value"
  done
  if [[ $cpu_probe_ok == yes ]]; then
    for name in bare bare_fk rules; do
      value=$(cpu_per_insert "$name")
      record "cpu_$name" "$value"
    done
  fi
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# Per-round ratios of two cases: "median min max".
ratios() {
  paste -d' ' <(tr ' ' '\n' <<<"${samples[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${samples[$2]}" | grep -v '^$') \
    | awk '{printf "%.3f\n", $1 / $2}' | sort -g \
    | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f %.2f %.2f", m, a[1], a[NR]}'
}
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "ok" : "OVER"}'; }
row() { printf '%-56s %9s %9s %6s %11s %7s %s\n' "$@"; }
compare() { # label, case, baseline, target ("" for none)
  local r; read -r med lo hi <<<"$(ratios "$2" "$3")"
  r=$(printf '%s' "$med")
  row "$1" "$(median <<<"${samples[$2]}")" "$(median <<<"${samples[$3]}")" "$r" "$lo-$hi" "${4:+<=$4}" "${4:+$(verdict "$r" "$4")}"
}

# Sanity: the tenant path really went through RLS and the triggers.
leaked=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "SELECT count(*) FROM call_events WHERE business_id <> '$TENANT_ID'")
plan=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "EXPLAIN SELECT id, timestamp FROM call_events ORDER BY timestamp DESC LIMIT 100")
join_plan=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "EXPLAIN SELECT count(*) FROM join_events")

pg_version=$(psql_bench -c "SHOW server_version")
echo
echo "PostgreSQL $pg_version, $(nproc) cores; $TENANTS tenants, $SESSIONS sessions, $((SESSIONS * PER_SESSION)) events;"
echo "the tenant measured has $TENANT_EVENTS events. pgbench -M $PROTOCOL -c 1, $RUNS interleaved rounds of ${SECONDS_PER_RUN}s per case;"
echo "ms = median latency per statement; ratio = median of the per-round ratios, range = lowest-highest round."
echo
row "measurement" "ms" "baseline" "ratio" "range" "target" ""
compare "(a) insert event, triggers + RLS, vs the seed's table" insert_rules insert_bare_fk 1.5
row "    baseline: bare copy + the seed's FK, no triggers/RLS" "" "" "" "" "" ""
compare "(a) the same vs a bare copy without even the FK" insert_rules insert_bare ""
compare "    what the seed's FK alone costs (bare + FK vs bare)" insert_bare_fk insert_bare ""
compare "(b) tenant count(*) through RLS" count_rls count_where 1.2
row "    baseline: WHERE business_id = ... (superuser)" "" "" "" "" "" ""
compare "(b) tenant latest 100 through RLS" top_rls top_where 1.2
row "    baseline: WHERE business_id = ... (superuser)" "" "" "" "" "" ""
compare "(c) join-policy count(*) vs denormalised RLS" count_join count_rls ""
compare "(c) join-policy latest 100 vs denormalised RLS" top_join top_rls ""
compare "(c) join-policy insert (RLS only) vs bare copy" insert_join insert_bare ""
if [[ $cpu_probe_ok == yes ]]; then
  echo
  echo "Server CPU per insert (backend user+system time from /proc, $CPU_INSERTS prepared inserts per round; µs):"
  row "measurement" "µs" "baseline" "ratio" "range" "" ""
  compare "insert event, triggers + RLS, vs the seed's table" cpu_rules cpu_bare_fk ""
  compare "the same vs a bare copy without even the FK" cpu_rules cpu_bare ""
else
  echo
  echo "(server CPU per insert: skipped, the server's processes are not visible here)"
fi
echo
echo "rows of other tenants visible through RLS: $leaked"
echo "plan of the tenant's latest 100 through RLS:"
sed 's/^/    /' <<<"$plan"
echo "plan of count(*) through the join policy:"
sed 's/^/    /' <<<"$join_plan"
