#!/usr/bin/env bash
# Benchmark of `pgmigrate purge` (tracker issue 7). On demand, not a test.
#
#   benchmarks/purge.sh            throwaway server unless DATABASE_URL is set
#
# Migrates a database with every file in sql/ (the shipped model: call_events
# and call_events_archive partitioned by day), loads EVENTS backdated call
# events (SESSIONS sessions x EVENTS/SESSIONS events, all 100-200 days old;
# triggers skipped for the load with session_replication_role = replica) in
# one of two shapes (SHAPE):
#   days    (default) the steady state: the legacy partitions the conversion
#           made are gone (retired), the old rows sit in their day partitions
#           (sorted there by `pgmigrate maintain`), so purge moves whole
#           partitions into the archive;
#   legacy  a database just converted from 0005: every old row is in
#           call_events_legacy, whose range reaches past today, so purge
#           archives them all by the batched row path through the parent;
# and measures:
#   (a) archive throughput of `pgmigrate purge --rule call_events_archive`
#       against one single-statement DELETE ... RETURNING / INSERT of all rows
#       on an identical copy (target: purge >= 0.6x the single statement);
#   (b) the longest batch at the default batch size (from --json
#       longestBatchMilliseconds; target <= 60 ms) while a concurrent inserter
#       (one row per transaction, through the triggers, for other sessions)
#       keeps inserting; reports its rate during the purge and alone.
# Environment: EVENTS (default 1000000), SESSIONS (default 10000),
# BASELINE_SECONDS (inserter alone, default 5), PURGE_ARGS (extra purge flags),
# SKIP_CONCURRENT=1 (only (a): for the 10M-event scaling run), SHAPE.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

EVENTS=${EVENTS:-1000000}
SESSIONS=${SESSIONS:-10000}
PER_SESSION=$(( EVENTS / SESSIONS ))
BASELINE_SECONDS=${BASELINE_SECONDS:-5}
SHAPE=${SHAPE:-days}
[[ $SHAPE == days || $SHAPE == legacy ]] || { echo "purge.sh: SHAPE must be days or legacy, not '$SHAPE'" >&2; exit 64; }
DB="pgm_bench_$$"

log() { printf 'bench: %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }

log "release build"
source benchmarks/lib/peers.sh
ensure_pgmigrate
BIN=$PGMIGRATE

# The benchmark database's URL: the same server, database $DB.
source scripts/lib/database-url.sh
URL=$(database_url "$DB")

psql_admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_db() { psql "$URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

INSERTER_PID=""
cleanup() {
  rm -rf "${SAMPLES:-/nonexistent}"
  if [[ -n "$INSERTER_PID" ]]; then kill "$INSERTER_PID" 2>/dev/null || true; wait "$INSERTER_PID" 2>/dev/null || true; fi
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql_admin -c "CREATE DATABASE $DB"
"$BIN" migrate --database-url "$URL" --dir sql >/dev/null
if [[ $SHAPE == days ]]; then
  # The conversion's legacy partitions, as after retention retired them (empty here).
  psql_db -c "DROP TABLE public.call_events_legacy" -c "DROP TABLE public.call_events_archive_legacy"
fi

log "loading $SESSIONS sessions x $PER_SESSION events"
T0=$(now_ms)
psql_db <<SQL
SET session_replication_role = replica;
INSERT INTO public.businesses VALUES ('00000000-0000-0000-0000-0000000000b1');
INSERT INTO public.customer_verifications VALUES ('00000000-0000-0000-0000-0000000000c1');
-- Old sessions, whose events are archived.
INSERT INTO public.call_sessions (id, business_id, verification_id, status, started_at, created_at)
SELECT gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1',
       'completed', now() - interval '200 days', now() - interval '200 days'
FROM generate_series(1, $SESSIONS);
-- Live sessions the inserter writes to (status in_progress accepts question_asked events).
CREATE TABLE bench_live (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_live SELECT g, gen_random_uuid() FROM generate_series(1, 100) g;
INSERT INTO public.call_sessions (id, business_id, verification_id, status, started_at, created_at)
SELECT id, '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1', 'in_progress', now(), now()
FROM bench_live;
-- The events, kept in a source table to reload identical copies.
CREATE TABLE bench_events_src AS
SELECT gen_random_uuid() AS id, s.id AS call_session_id, s.business_id, 'completed'::public.call_event_type AS event_type,
       jsonb_build_object('n', g, 'note', 'benchmark event payload') AS event_data,
       now() - interval '100 days' - (random() * interval '100 days') AS timestamp,
       'system'::public.call_event_source AS source, NULL::jsonb AS metadata
FROM public.call_sessions s CROSS JOIN generate_series(1, $PER_SESSION) g
WHERE s.created_at < now() - interval '100 days';
SQL
log "loaded source in $(( ($(now_ms) - T0) / 1000 )) s"

reload() {
  local t; t=$(now_ms)
  psql_db <<'SQL'
SET session_replication_role = replica;
TRUNCATE public.call_events, public.call_events_archive;
INSERT INTO public.call_events (id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata)
SELECT id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata FROM bench_events_src;
SQL
  # days: the rows went to the default partition; maintenance sorts them into day partitions.
  if [[ $SHAPE == days ]]; then "$BIN" maintain --database-url "$URL" >/dev/null; fi
  psql_db -c "VACUUM ANALYZE public.call_events" -c "VACUUM ANALYZE public.call_events_archive" -c "CHECKPOINT"
  log "reloaded $(psql_db -At -c 'SELECT count(*) FROM public.call_events') events in $(( ($(now_ms) - t) / 1000 )) s"
}

check_moved() {
  local live archived
  live=$(psql_db -At -c "SELECT count(*) FROM public.call_events WHERE timestamp < now() - interval '90 days'")
  archived=$(psql_db -At -c "SELECT count(*) FROM public.call_events_archive")
  if [[ "$live" != 0 || "$archived" != "$EVENTS" ]]; then
    log "unexpected result: $live old rows left, $archived archived (expected $EVENTS)"; exit 1
  fi
}

json_field() { # json_field FILE FIELD: the field of the first report
  python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))[0].get(sys.argv[2], 0); print(len(v) if isinstance(v, list) else v)' "$1" "$2"
}

# (a1) pgmigrate purge, default batch size, nothing else running.
reload
T0=$(now_ms)
"$BIN" purge --database-url "$URL" --rule call_events_archive --json ${PURGE_ARGS:-} >/tmp/pgm_bench_a.json
PURGE_MS=$(( $(now_ms) - T0 ))
check_moved
PURGE_BATCHES=$(json_field /tmp/pgm_bench_a.json batches)
PURGE_LONGEST_IDLE=$(json_field /tmp/pgm_bench_a.json longestBatchMilliseconds)
PURGE_PARTS="$(json_field /tmp/pgm_bench_a.json partitions) partitions ($(json_field /tmp/pgm_bench_a.json partitionRows) rows)"

# (a2) one statement.
reload
T0=$(now_ms)
psql_db <<'SQL'
WITH moved AS (
    DELETE FROM public.call_events WHERE timestamp < now() - interval '90 days' RETURNING *
)
INSERT INTO public.call_events_archive (id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata, archived_at)
SELECT id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata, now() FROM moved;
SQL
SINGLE_MS=$(( $(now_ms) - T0 ))
check_moved

PURGE_RATE=$(( EVENTS * 1000 / PURGE_MS ))
SINGLE_RATE=$(( EVENTS * 1000 / SINGLE_MS ))
RATIO=$(python3 -c "print(f'{$PURGE_RATE / $SINGLE_RATE:.2f}')")
pass() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo yes; else echo NO; fi; }
if [[ -n ${SKIP_CONCURRENT:-} ]]; then
  printf '\n%s\n' "pgmigrate purge ($EVENTS events, SHAPE=$SHAPE, $SESSIONS sessions; $(load_line))"
  printf '%-58s %s\n' "(a) purge --rule call_events_archive (default batch)" "$PURGE_RATE rows/s ($PURGE_MS ms, $PURGE_PARTS + $PURGE_BATCHES batches, longest $PURGE_LONGEST_IDLE ms)"
  printf '%-58s %s\n' "(a) one statement DELETE ... RETURNING -> INSERT" "$SINGLE_RATE rows/s ($SINGLE_MS ms)"
  printf '%-58s %s\n' "(a) ratio purge / single statement (target >= 0.6)" "$RATIO  pass: $(pass "$RATIO >= 0.6")"
  exit 0
fi

# (b) purge with a concurrent inserter: one row per transaction, through the triggers.
psql_db <<'SQL'
CREATE TABLE bench_flag (stop boolean NOT NULL);
INSERT INTO bench_flag VALUES (false);
-- Inserts (with their commit) that took over 10 ms: when, and how long.
CREATE TABLE bench_slow (at timestamptz NOT NULL, ms double precision NOT NULL);
CREATE PROCEDURE bench_insert() LANGUAGE plpgsql AS $$
DECLARE i int := 0; t0 timestamptz; ms double precision;
BEGIN
    LOOP
        EXIT WHEN (SELECT stop FROM bench_flag);
        t0 := clock_timestamp();
        INSERT INTO public.call_events (call_session_id, event_type, source, event_data)
        SELECT id, 'question_asked', 'ai', jsonb_build_object('i', i) FROM bench_live WHERE n = 1 + i % 100;
        i := i + 1;
        COMMIT;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        IF ms > 10 THEN INSERT INTO bench_slow VALUES (t0, ms); COMMIT; END IF;
    END LOOP;
END $$;
SQL
live_count() { psql_db -At -c "SELECT count(*) FROM public.call_events WHERE call_session_id IN (SELECT id FROM bench_live)"; }
start_inserter() {
  psql_db -c "UPDATE bench_flag SET stop = false"
  psql_db -c "CALL bench_insert()" & INSERTER_PID=$!
  sleep 1
}
stop_inserter() {
  psql_db -c "UPDATE bench_flag SET stop = true"
  wait "$INSERTER_PID"; INSERTER_PID=""
}

reload
# The inserter alone.
start_inserter
C0=$(live_count); T0=$(now_ms); sleep "$BASELINE_SECONDS"; C1=$(live_count); T1=$(now_ms)
BASE_RATE=$(( (C1 - C0) * 1000 / (T1 - T0) ))
slowest() { psql_db -At -c "SELECT coalesce(round(max(ms)::numeric), 0) FROM bench_slow WHERE at >= to_timestamp($1 / 1000.0) AND at < to_timestamp($2 / 1000.0)"; }
BASE_SLOWEST=$(slowest "$T0" "$T1")
# The inserter during the purge.
C0=$(live_count); T0=$(now_ms)
"$BIN" purge --database-url "$URL" --rule call_events_archive --json ${PURGE_ARGS:-} >/tmp/pgm_bench_b.json
C1=$(live_count); T1=$(now_ms)
stop_inserter
DURING_SLOWEST=$(slowest "$T0" "$T1")
check_moved
DURING_RATE=$(( (C1 - C0) * 1000 / (T1 - T0) ))
LONGEST=$(json_field /tmp/pgm_bench_b.json longestBatchMilliseconds)
BATCHES_B="$(json_field /tmp/pgm_bench_b.json partitions) partitions + $(json_field /tmp/pgm_bench_b.json batches)"
INSERTED_TOTAL=$(live_count)
ARCHIVED_LIVE=$(psql_db -At -c "SELECT count(*) FROM public.call_events_archive WHERE call_session_id IN (SELECT id FROM bench_live)")

printf '\n%-58s %s\n' "pgmigrate purge benchmark ($EVENTS events, SHAPE=$SHAPE, $SESSIONS sessions, PostgreSQL $(psql_db -At -c 'SHOW server_version'); $(load_line))" ""
printf '%-58s %s\n' "------------------------------------------------------------" "--------------------"
printf '%-58s %s\n' "(a) purge --rule call_events_archive (default batch)" "$PURGE_RATE rows/s ($PURGE_MS ms, $PURGE_PARTS + $PURGE_BATCHES batches)"
printf '%-58s %s\n' "(a) one statement DELETE ... RETURNING -> INSERT" "$SINGLE_RATE rows/s ($SINGLE_MS ms)"
printf '%-58s %s\n' "(a) ratio purge / single statement (target >= 0.6)" "$RATIO  pass: $(pass "$RATIO >= 0.6")"
printf '%-58s %s\n' "(b) longest transaction (batch or partition move), idle (ms)" "$PURGE_LONGEST_IDLE"
printf '%-58s %s\n' "(b) longest transaction with concurrent inserter (target <= 60)" "$LONGEST ms ($BATCHES_B batches)  pass: $(pass "$LONGEST <= 60")"
printf '%-58s %s\n' "(b) inserter alone (rows/s, one row per transaction)" "$BASE_RATE"
printf '%-58s %s\n' "(b) inserter during the purge (rows/s)" "$DURING_RATE"
printf '%-58s %s\n' "(b) inserter's slowest insert alone / during the purge (ms)" "$BASE_SLOWEST / $DURING_SLOWEST"
printf '%-58s %s\n' "(b) inserted rows live / archived" "$INSERTED_TOTAL / $ARCHIVED_LIVE"
