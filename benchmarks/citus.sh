#!/usr/bin/env bash
# One server vs the local Citus cluster, same model, same workload through the
# coordinator: call sessions and their events inserted through every trigger
# and row-level security (the tenant context set per transaction), and a
# tenant's reads, through RLS alone and with the tenant in the WHERE clause;
# and a purge of old provider logs (per-tenant batches on Citus).
# Prints a table of transactions per second with the Citus/one-server ratio.
# Run on demand; not a test.
#
#   benchmarks/citus.sh                   one server: a throwaway cluster (scripts/throwaway-postgres.sh)
#   DATABASE_URL=... benchmarks/citus.sh  one server: yours (creates and drops database pgm_citus_bench;
#                                         give it the Citus nodes' durability, fsync and synchronous_commit on)
#
# The Citus side is the cluster of ../shared/citus/citus-cluster.sh (found as
# scripts/citus-test.sh finds it; brought up and stopped again if it was not
# running). It RESETS the `public` schema of the coordinator's database
# (scripts/lib/citus-reset.sql) and applies sql/citus/.
#
# Honest caveat: two workers and a coordinator on one 2-core machine measure
# what Citus costs per transaction (planning, routing, a connection per worker
# touched), not what it gains: scale-out needs workers on their own machines.
#
# The tenant is a constant expression (`||`, immutable): with format() (stable)
# Citus cannot pick the shard while planning and asks every shard.
#
# Environment: BENCH_SECONDS (per pgbench run, default 5), BENCH_RUNS (rounds,
# the median is reported, default 3), BENCH_CLIENTS (default 4), BENCH_TENANTS
# (default 20), BENCH_EVENTS (events per session, default 4).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  # As durable as the Citus nodes (the throwaway default is fsync off): a
  # commit waits for its WAL flush on both sides.
  PGMIGRATE_PG_CONF=$'fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n'"${PGMIGRATE_PG_CONF:-}" \
    exec scripts/throwaway-postgres.sh "$0" "$@"
fi

SECS=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
CLIENTS=${BENCH_CLIENTS:-4}
TENANTS=${BENCH_TENANTS:-20}
EVENTS=${BENCH_EVENTS:-4}
KEY=bench-phone-key-0123456789abcdef
PGM=.build/release/pgmigrate
[[ -x "$PGM" ]] || PGM=.build/debug/pgmigrate
[[ -x "$PGM" ]] || { echo "citus-bench: build pgmigrate first (swift build)" >&2; exit 1; }
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)
log() { printf 'citus-bench: %s\n' "$*" >&2; }

source scripts/lib/database-url.sh
source scripts/lib/citus-cluster.sh
script=$(citus_cluster_script) || { echo "citus-bench: no citus-cluster.sh (set CITUS_CLUSTER_SCRIPT)" >&2; exit 1; }
SINGLE=$(database_url pgm_citus_bench)
WORK=$(mktemp -d)
cleanup() {
  rm -rf "$WORK"
  psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS pgm_citus_bench" >/dev/null 2>&1 || true
  [[ "${CITUS_STARTED:-0}" == 1 ]] && bash "$script" stop >&2 || true
}
trap cleanup EXIT
citus_cluster_up "$script"
CITUS=$(bash "$script" url)

log "one server: database pgm_citus_bench, sql/"
psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS pgm_citus_bench" -c "CREATE DATABASE pgm_citus_bench"
"$PGM" migrate --dir sql --database-url "$SINGLE" >/dev/null
log "citus: resetting public on the coordinator, sql/citus/"
psql "$CITUS" -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -f scripts/lib/citus-reset.sql
"$PGM" migrate --dir sql/citus --database-url "$CITUS" >/dev/null

seed() {
  PGOPTIONS="-c app.phone_encryption_key=$KEY" psql "$1" -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgm_bench_tenant') THEN
    CREATE ROLE pgm_bench_tenant LOGIN IN ROLE business_app;
  END IF;
END \$\$;
GRANT SELECT ON businesses, customer_verifications TO business_app;
INSERT INTO businesses SELECT format('00000000-0000-0000-0000-%s', lpad(t::text, 12, '0'))::uuid FROM generate_series(1, $TENANTS) t;
INSERT INTO customer_verifications VALUES ('11111111-1111-1111-1111-111111111111');
SELECT length(phone_encryption_key()) > 0;
SQL
}
seed "$SINGLE" >/dev/null
seed "$CITUS" >/dev/null

# $1: how the tenant context is set (the contract of each deployment).
write_scripts() {
  local context=$1 dir=$2
  mkdir -p "$dir"
  {
    echo "\\set t random(1, $TENANTS)"
    echo "BEGIN;"
    echo "SET LOCAL ROLE pgm_bench_tenant;"
    echo "$context"
    echo "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES (('00000000-0000-0000-0000-' || lpad(:t::text, 12, '0'))::uuid, '11111111-1111-1111-1111-111111111111', '+46701234567') RETURNING id AS sid \\gset"
    for i in $(seq 1 "$EVENTS"); do
      echo "INSERT INTO call_events (call_session_id, business_id, event_type, source, timestamp) VALUES (':sid', ('00000000-0000-0000-0000-' || lpad(:t::text, 12, '0'))::uuid, 'connecting', 'system', clock_timestamp());"
    done
    echo "COMMIT;"
  } >"$dir/insert.sql"
  {
    echo "\\set t random(1, $TENANTS)"
    echo "BEGIN;"
    echo "SET LOCAL ROLE pgm_bench_tenant;"
    echo "$context"
    echo "SELECT count(*), max(timestamp) FROM call_events WHERE timestamp > now() - interval '1 day';"
    echo "COMMIT;"
  } >"$dir/read_rls.sql"
  {
    echo "\\set t random(1, $TENANTS)"
    echo "BEGIN;"
    echo "SET LOCAL ROLE pgm_bench_tenant;"
    echo "$context"
    echo "SELECT count(*), max(timestamp) FROM call_events WHERE business_id = ('00000000-0000-0000-0000-' || lpad(:t::text, 12, '0'))::uuid AND timestamp > now() - interval '1 day';"
    echo "COMMIT;"
  } >"$dir/read_where.sql"
}
TENANT="('00000000-0000-0000-0000-' || lpad(:t::text, 12, '0'))::uuid"
write_scripts "SELECT set_config('app.current_business_id', ($TENANT)::text, true);" "$WORK/single"
write_scripts "SELECT set_current_business($TENANT);" "$WORK/citus"

tps() {  # url dir case
  PGOPTIONS="-c app.phone_encryption_key=$KEY" "$PGBENCH" -n -c "$CLIENTS" -j 2 -T "$SECS" -f "$2/$3.sql" "$1" 2>&1 \
    | awk '/^tps = / { printf "%.0f\n", $3 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A single citus
for case in insert read_rls read_where; do : >"$WORK/$case.single"; : >"$WORK/$case.citus"; done
for run in $(seq 1 "$RUNS"); do
  log "round $run/$RUNS"
  for case in insert read_rls read_where; do
    tps "$SINGLE" "$WORK/single" "$case" >>"$WORK/$case.single"
    tps "$CITUS" "$WORK/citus" "$case" >>"$WORK/$case.citus"
  done
done

printf '\nOne server vs Citus (coordinator + 2 workers, all on this machine), %s clients, %s s x %s rounds (median tps)\n\n' "$CLIENTS" "$SECS" "$RUNS"
printf '| case | one server tps | Citus tps | Citus / one server |\n| --- | ---: | ---: | ---: |\n'
for case in insert read_rls read_where; do
  s=$(median <"$WORK/$case.single"); c=$(median <"$WORK/$case.citus")
  case $case in
    insert) label="a session + $EVENTS events, through triggers and RLS (one transaction)" ;;
    read_rls) label="a tenant's recent events, RLS alone" ;;
    read_where) label="a tenant's recent events, RLS + business_id in WHERE" ;;
  esac
  printf '| %s | %s | %s | %s |\n' "$label" "$s" "$c" "$(awk -v a="$c" -v b="$s" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), a / b }')"
done

# Retention on the distributed table: the same purge, tenant by tenant on Citus.
PURGE_ROWS=${BENCH_PURGE_ROWS:-4000}
seed_old_logs() {  # url context-sql
  # One transaction per tenant's session: on Citus a transaction writing phone
  # numbers on two workers ends in a distributed deadlock (see README).
  {
    for t in $(seq 1 "$TENANTS"); do
      echo "BEGIN; $2"
      echo "INSERT INTO call_sessions (id, business_id, verification_id, customer_phone) VALUES (md5('purge$t')::uuid, '00000000-0000-0000-0000-$(printf '%012d' "$t")', '11111111-1111-1111-1111-111111111111', '+46701234567') ON CONFLICT DO NOTHING;"
      echo "COMMIT;"
    done
    echo "INSERT INTO telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation, request_payload, response_payload, status_code, latency_ms, success, created_at)"
    echo "SELECT md5('purge' || (1 + i % $TENANTS))::uuid, ('00000000-0000-0000-0000-' || lpad((1 + i % $TENANTS)::text, 12, '0'))::uuid,"
    echo "       'twilio', 'x', 'initiate', '{}', '{}', 200, 10, true, '2020-01-01 00:00:00+00'"
    echo "FROM generate_series(1, $PURGE_ROWS) i;"
  } | PGOPTIONS="-c app.phone_encryption_key=$KEY" psql "$1" -X -q -v ON_ERROR_STOP=1 >/dev/null
}
purge_seconds() {  # url
  local start end
  start=$(date +%s.%N)
  "$PGM" purge --rule telephony_provider_logs_purge --batch-size 500 --database-url "$1" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}
: >"$WORK/purge.single"; : >"$WORK/purge.citus"
for run in $(seq 1 "$RUNS"); do
  seed_old_logs "$SINGLE" "SELECT 1;"
  seed_old_logs "$CITUS" "SELECT set_current_business(NULL);"
  purge_seconds "$SINGLE" >>"$WORK/purge.single"
  purge_seconds "$CITUS" >>"$WORK/purge.citus"
done
ps=$(median <"$WORK/purge.single"); pc=$(median <"$WORK/purge.citus")
printf '\n| purge of %s old provider logs (%s tenants, batches of 500) | one server s | Citus s | Citus / one server |\n| --- | ---: | ---: | ---: |\n' "$PURGE_ROWS" "$TENANTS"
printf '| pgmigrate purge --rule telephony_provider_logs_purge | %s | %s | %s |\n' "$ps" "$pc" "$(awk -v a="$pc" -v b="$ps" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), a / b }')"

printf '\nCaveat: 2 workers on one 2-core machine measure per-transaction overhead, not scale-out.\n'
