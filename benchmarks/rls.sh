#!/usr/bin/env bash
# What the enforced rules cost: call_events inserts through all triggers and
# row-level security vs a bare copy of the table, tenant reads through RLS vs
# an explicit WHERE, and the denormalised tenant column vs a policy that joins
# through call_sessions. Prints a table. Run on demand; not a test.
#
#   benchmarks/rls.sh                 on a throwaway server (scripts/throwaway-postgres.sh)
#   DATABASE_URL=... benchmarks/rls.sh  on a server you own (creates and drops database pgm_bench)
#
# Environment: BENCH_SECONDS (per pgbench run, default 8), BENCH_RUNS (runs per
# measurement, median reported, default 3), BENCH_SESSIONS (default 100000),
# BENCH_EVENTS_PER_SESSION (default 10), BENCH_TENANTS (default 100),
# BENCH_PROTOCOL (pgbench -M: prepared, as drivers and ORMs send statements, or simple).
# About 4 minutes with the defaults on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

SECONDS_PER_RUN=${BENCH_SECONDS:-8}
RUNS=${BENCH_RUNS:-3}
SESSIONS=${BENCH_SESSIONS:-100000}
PER_SESSION=${BENCH_EVENTS_PER_SESSION:-10}
TENANTS=${BENCH_TENANTS:-100}
TENANT=7  # the tenant measured: its sessions are n = TENANT + TENANTS * j

log() { printf 'rls-bench: %s\n' "$*" >&2; }

# The database URL with another database name.
base=${DATABASE_URL%%\?*}
query=${DATABASE_URL#"$base"}
server=${base%/*}
DB_URL="$server/pgm_bench$query"

psql_admin() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_bench() { psql "$DB_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

# The schema as the model renders it.
if [[ -x .build/release/pgmigrate ]]; then
  PGMIGRATE=.build/release/pgmigrate
elif [[ -x .build/debug/pgmigrate ]]; then
  PGMIGRATE=.build/debug/pgmigrate
else
  log "building pgmigrate (release)"
  swift build -c release --product pgmigrate >&2
  PGMIGRATE=.build/release/pgmigrate
fi

psql_admin -c "DROP DATABASE IF EXISTS pgm_bench WITH (FORCE)" -c "CREATE DATABASE pgm_bench"
trap 'psql_admin -c "DROP DATABASE IF EXISTS pgm_bench WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
log "loading the schema ($PGMIGRATE schema)"
"$PGMIGRATE" schema | psql_bench >/dev/null

log "loading $TENANTS tenants, $SESSIONS sessions, $((SESSIONS * PER_SESSION)) events (triggers off for the bulk load)"
psql_bench <<SQL
SET session_replication_role = replica;
SET maintenance_work_mem = '256MB';
-- Deterministic ids: business k = md5('b'||k), session n = md5('s'||n) belongs to business n % $TENANTS.
INSERT INTO businesses SELECT md5('b' || k)::uuid FROM generate_series(0, $TENANTS - 1) k;
INSERT INTO customer_verifications SELECT md5('v' || k)::uuid FROM generate_series(0, 999) k;
INSERT INTO call_sessions (id, business_id, customer_phone, customer_phone_hash, verification_id, status, started_at, connected_at)
SELECT md5('s' || n)::uuid, md5('b' || (n % $TENANTS))::uuid, 'bulk-loaded', '\\x00', md5('v' || (n % 1000))::uuid,
       'in_progress', timestamptz '2025-01-01' + n * interval '1 s', timestamptz '2025-01-01' + n * interval '1 s' + interval '5 s'
FROM generate_series(0, $SESSIONS - 1) n;
INSERT INTO call_events (call_session_id, business_id, event_type, source, timestamp, event_data)
SELECT md5('s' || n)::uuid, md5('b' || (n % $TENANTS))::uuid,
       (ARRAY['answered','ai_connected','question_asked','response_received']::call_event_type[])[1 + e % 4],
       'ai', timestamptz '2025-01-01' + n * interval '1 s' + e * interval '1 s', '{"bench": true}'
FROM generate_series(0, $SESSIONS - 1) n, generate_series(1, $PER_SESSION) e;
SET session_replication_role = DEFAULT;

-- (a) the same table without triggers, RLS or foreign keys.
CREATE TABLE bare_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO bare_events SELECT * FROM call_events;

-- (c) the alternative design: the policy joins through call_sessions instead of using business_id.
CREATE TABLE join_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO join_events SELECT * FROM call_events;
ALTER TABLE join_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY join_events_business_isolation ON join_events FOR ALL TO business_app
    USING (EXISTS (SELECT 1 FROM call_sessions s WHERE s.id = call_session_id AND s.business_id = (SELECT get_current_business_id())))
    WITH CHECK (EXISTS (SELECT 1 FROM call_sessions s WHERE s.id = call_session_id AND s.business_id = (SELECT get_current_business_id())));
GRANT SELECT, INSERT ON join_events TO business_app;
GRANT SELECT, INSERT ON bare_events TO business_app;

-- (a'') the bare copy plus the composite foreign key call_events has: what the
-- triggers and RLS cost on their own, apart from the FK's per-row check.
CREATE TABLE bare_fk_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO bare_fk_events SELECT * FROM call_events;
ALTER TABLE bare_fk_events ADD FOREIGN KEY (call_session_id, business_id) REFERENCES call_sessions (id, business_id);
GRANT SELECT, INSERT ON bare_fk_events TO business_app;

VACUUM ANALYZE;
SQL

TENANT_ID=$(psql_bench -c "SELECT md5('b' || $TENANT)::uuid")
TENANT_EVENTS=$(psql_bench -c "SELECT count(*) FROM call_events WHERE business_id = '$TENANT_ID'")
log "tenant $TENANT_ID has $TENANT_EVENTS events"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql_admin -c "DROP DATABASE IF EXISTS pgm_bench WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
SESSIONS_PER_TENANT=$((SESSIONS / TENANTS))

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
cp "$WORK/insert_bare.sql" "$WORK/insert_bare_tenant.sql"
sed 's/bare_events/bare_fk_events/' "$WORK/insert_bare.sql" >"$WORK/insert_bare_fk.sql"

# Median latency (ms) of RUNS pgbench runs of one script; $2: "tenant" or "superuser".
measure() {
  local script=$1 who=$2 options="" latencies=()
  [[ $who == tenant ]] && options=$TENANT_OPTIONS
  for _ in $(seq "$RUNS"); do
    local out
    out=$(PGOPTIONS="$options" pgbench -n -M "$PROTOCOL" -c 1 -j 1 -T "$SECONDS_PER_RUN" -f "$WORK/$script.sql" "$DB_URL" 2>&1) \
      || { echo "$out" >&2; log "pgbench failed for $script"; exit 1; }
    latencies+=("$(awk '/latency average/ {print $4}' <<<"$out")")
  done
  printf '%s\n' "${latencies[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

declare -A ms
for case in insert_bare:superuser insert_bare_tenant:tenant insert_bare_fk:tenant insert_rules:tenant insert_join:tenant \
            count_where:superuser count_rls:tenant count_join:tenant \
            top_where:superuser top_rls:tenant top_join:tenant; do
  name=${case%%:*}
  log "measuring $name (${RUNS} x ${SECONDS_PER_RUN}s)"
  ms[$name]=$(measure "$name" "${case##*:}")
done

# Sanity: the tenant path really went through RLS and the triggers.
leaked=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "SELECT count(*) FROM call_events WHERE business_id <> '$TENANT_ID'")
plan=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "EXPLAIN SELECT id, timestamp FROM call_events ORDER BY timestamp DESC LIMIT 100")
join_plan=$(PGOPTIONS="$TENANT_OPTIONS" psql_bench -c "EXPLAIN SELECT count(*) FROM join_events")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "ok" : "OVER"}'; }
row() { printf '%-58s %10s %10s %8s %8s %s\n' "$@"; }

pg_version=$(psql_bench -c "SHOW server_version")
echo
echo "PostgreSQL $pg_version, $(nproc) cores; $TENANTS tenants, $SESSIONS sessions, $((SESSIONS * PER_SESSION)) events;"
echo "tenant measured has $TENANT_EVENTS events; pgbench -M $PROTOCOL -c 1, median of $RUNS x ${SECONDS_PER_RUN}s; latency per statement."
echo
row "measurement" "ms" "baseline" "ratio" "target" ""
row "(a) insert event: triggers + RLS (business_app)" "${ms[insert_rules]}" "${ms[insert_bare_tenant]}" "$(ratio "${ms[insert_rules]}" "${ms[insert_bare_tenant]}")" "<=1.5" \
    "$(verdict "$(ratio "${ms[insert_rules]}" "${ms[insert_bare_tenant]}")" 1.5)"
row "    baseline: bare_events, no triggers/RLS/FK (business_app)" "${ms[insert_bare_tenant]}" "" "" "" ""
row "(a'') the same vs bare_events + its composite FK (business_app)" "${ms[insert_rules]}" "${ms[insert_bare_fk]}" "$(ratio "${ms[insert_rules]}" "${ms[insert_bare_fk]}")" "" ""
row "(a') the same vs bare_events as superuser" "${ms[insert_rules]}" "${ms[insert_bare]}" "$(ratio "${ms[insert_rules]}" "${ms[insert_bare]}")" "" ""
row "(b) tenant count(*) through RLS" "${ms[count_rls]}" "${ms[count_where]}" "$(ratio "${ms[count_rls]}" "${ms[count_where]}")" "<=1.2" \
    "$(verdict "$(ratio "${ms[count_rls]}" "${ms[count_where]}")" 1.2)"
row "    baseline: WHERE business_id = ... (superuser)" "${ms[count_where]}" "" "" "" ""
row "(b) tenant latest 100 through RLS" "${ms[top_rls]}" "${ms[top_where]}" "$(ratio "${ms[top_rls]}" "${ms[top_where]}")" "<=1.2" \
    "$(verdict "$(ratio "${ms[top_rls]}" "${ms[top_where]}")" 1.2)"
row "    baseline: WHERE business_id = ... (superuser)" "${ms[top_where]}" "" "" "" ""
row "(c) join-policy count(*) vs denormalised RLS" "${ms[count_join]}" "${ms[count_rls]}" "$(ratio "${ms[count_join]}" "${ms[count_rls]}")" "" ""
row "(c) join-policy latest 100 vs denormalised RLS" "${ms[top_join]}" "${ms[top_rls]}" "$(ratio "${ms[top_join]}" "${ms[top_rls]}")" "" ""
row "(c) join-policy insert (RLS only) vs bare" "${ms[insert_join]}" "${ms[insert_bare]}" "$(ratio "${ms[insert_join]}" "${ms[insert_bare]}")" "" ""
echo
echo "rows of other tenants visible through RLS: $leaked"
echo "plan of the tenant's latest 100 through RLS:"
sed 's/^/    /' <<<"$plan"
echo "plan of count(*) through the join policy:"
sed 's/^/    /' <<<"$join_plan"
