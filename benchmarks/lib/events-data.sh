# Shared by benchmarks/rls.sh and benchmarks/rls-profile.sh: a database
# pgm_bench with the model's schema and call_events filled by tenant, plus
# bare copies of call_events to compare with. Sourced, not run.
#
# Environment: BENCH_SESSIONS (default 100000), BENCH_EVENTS_PER_SESSION
# (default 10), BENCH_TENANTS (default 100). Needs DATABASE_URL and log().

SESSIONS=${BENCH_SESSIONS:-100000}
PER_SESSION=${BENCH_EVENTS_PER_SESSION:-10}
TENANTS=${BENCH_TENANTS:-100}
TENANT=7  # the tenant measured: its sessions are n = TENANT + TENANTS * j
SESSIONS_PER_TENANT=$((SESSIONS / TENANTS))

# The same server, database pgm_bench.
source scripts/lib/database-url.sh
DB_URL=$(database_url pgm_bench)

psql_admin() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_bench() { psql "$DB_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
drop_bench_database() { psql_admin -c "DROP DATABASE IF EXISTS pgm_bench WITH (FORCE)" >/dev/null 2>&1 || true; }

# The schema as the model renders it.
find_pgmigrate() {
  if [[ -x .build/release/pgmigrate ]]; then
    PGMIGRATE=.build/release/pgmigrate
  elif [[ -x .build/debug/pgmigrate ]]; then
    PGMIGRATE=.build/debug/pgmigrate
  else
    log "building pgmigrate (release)"
    swift build -c release --product pgmigrate >&2
    PGMIGRATE=.build/release/pgmigrate
  fi
}

# Creates pgm_bench: the schema, the rows, bare_events (no triggers, RLS or
# foreign key), bare_fk_events (bare plus the seed's foreign key) and, with
# $1 = with-join, join_events (the policy joins through call_sessions).
# Sets TENANT_ID and TENANT_EVENTS.
load_events_data() {
  find_pgmigrate
  psql_admin -c "DROP DATABASE IF EXISTS pgm_bench WITH (FORCE)" -c "CREATE DATABASE pgm_bench"
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

-- The same table without triggers, RLS or foreign keys.
CREATE TABLE bare_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO bare_events SELECT * FROM call_events;
GRANT SELECT, INSERT ON bare_events TO business_app;

-- The bare copy plus the foreign key the seed gives call_events
-- (call_session_id -> call_sessions.id): the table as the data model defines
-- it, without the triggers and row-level security that are measured.
CREATE TABLE bare_fk_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO bare_fk_events SELECT * FROM call_events;
ALTER TABLE bare_fk_events ADD FOREIGN KEY (call_session_id) REFERENCES call_sessions (id);
GRANT SELECT, INSERT ON bare_fk_events TO business_app;
SQL
  if [[ ${1:-} == with-join ]]; then
    psql_bench <<SQL
-- The alternative design: the policy joins through call_sessions instead of using business_id.
CREATE TABLE join_events (LIKE call_events INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS);
INSERT INTO join_events SELECT * FROM call_events;
ALTER TABLE join_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY join_events_business_isolation ON join_events FOR ALL TO business_app
    USING (EXISTS (SELECT 1 FROM call_sessions s WHERE s.id = call_session_id AND s.business_id = (SELECT get_current_business_id())))
    WITH CHECK (EXISTS (SELECT 1 FROM call_sessions s WHERE s.id = call_session_id AND s.business_id = (SELECT get_current_business_id())));
GRANT SELECT, INSERT ON join_events TO business_app;
SQL
  fi
  psql_bench -c "VACUUM ANALYZE"
  TENANT_ID=$(psql_bench -c "SELECT md5('b' || $TENANT)::uuid")
  TENANT_EVENTS=$(psql_bench -c "SELECT count(*) FROM call_events WHERE business_id = '$TENANT_ID'")
  log "tenant $TENANT_ID has $TENANT_EVENTS events"
}
