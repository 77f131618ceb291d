#!/usr/bin/env bash
# What the number of day partitions costs an event insert (tracker issue 16).
# On demand, not a test.
#
#   benchmarks/event-insert-partitions.sh     throwaway server unless DATABASE_URL is set
#
# Migrates sql/ into a scratch database, loads 1,000 in-progress sessions,
# then times single-row call_events inserts through every trigger (pgbench,
# prepared statements, one client, BENCH_SECONDS each) in three shapes,
# interleaved over BENCH_RUNS rounds:
#   fresh        the partitions a migration makes (today, a week ahead, default, legacy)
#   steady       ~95 more past day partitions, as 90 days of retention leave
#   steady-old   the same, with the ordering lookup as it was before sql/0012
#                (max over every partition, no lower bound on the partition key)
# and prints the median latency per shape and its ratio to `fresh`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

SECONDS_PER_RUN=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
PAST_DAYS=${PAST_DAYS:-95}
log() { printf 'bench: %s\n' "$*" >&2; }
source scripts/lib/database-url.sh
PGMIGRATE=${PGMIGRATE_BIN:-.build/debug/pgmigrate}
[[ -x "$PGMIGRATE" ]] || { log "building pgmigrate"; swift build --product pgmigrate >&2; PGMIGRATE=.build/debug/pgmigrate; }

WORK=$(mktemp -d)
cleanup() {
  for db in pgm_ins_fresh pgm_ins_steady pgm_ins_old; do
    psql "$DATABASE_URL" -Xqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

setup() {  # $1 database, $2 past day partitions to add, $3 = old to restore the unbounded lookup
  local db=$1 url; url=$(database_url "$1")
  psql "$DATABASE_URL" -Xqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  "$PGMIGRATE" migrate --database-url "$url" >/dev/null
  psql "$url" -Xq -v ON_ERROR_STOP=1 <<'SQL'
SET session_replication_role = replica;
INSERT INTO businesses SELECT md5('b' || k)::uuid FROM generate_series(0, 9) k;
INSERT INTO customer_verifications SELECT md5('v' || k)::uuid FROM generate_series(0, 9) k;
INSERT INTO call_sessions (id, business_id, customer_phone, customer_phone_hash, verification_id, status, started_at, connected_at)
SELECT md5('s' || n)::uuid, md5('b' || (n % 10))::uuid, 'bulk', '\x00', md5('v' || (n % 10))::uuid, 'in_progress',
       now() - interval '1 day', now() - interval '1 day'
FROM generate_series(0, 999) n;
SQL
  if (( $2 > 0 )); then
    # The (empty) legacy partition a fresh migration makes covers the past: replace it by day partitions.
    psql "$url" -Xq -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS call_events_legacy" -c "
      DO \$\$ DECLARE today timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'; BEGIN
        FOR d IN 1..$2 LOOP
          EXECUTE format('CREATE TABLE call_events_bench_%s PARTITION OF call_events FOR VALUES FROM (%L) TO (%L)',
                         d, today - d * interval '1 day', today - (d - 1) * interval '1 day');
        END LOOP; END \$\$"
  fi
  if [[ ${3:-} == old ]]; then
    psql "$url" -XAqt -c "SELECT pg_get_functiondef('public.call_events_rules'::regproc)" \
      | sed 's/ AND e\.timestamp > NEW\.timestamp)/)/' > "$WORK/old.sql"
    grep -q "WHERE e.call_session_id = s.id)" "$WORK/old.sql" || { log "could not restore the old lookup"; exit 1; }
    psql "$url" -Xq -v ON_ERROR_STOP=1 -f "$WORK/old.sql"
  fi
}

cat > "$WORK/insert.sql" <<'SQL'
\set n random(0, 999)
INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (md5('s' || :n)::uuid, 'question_asked', 'ai', now());
SQL
latency() {  # prints ms per insert
  pgbench -n -M prepared -T "$SECONDS_PER_RUN" -c 1 -f "$WORK/insert.sql" "$(database_url "$1")" 2>/dev/null \
    | awk '/latency average/ { print $4 }'
}

log "setting up three databases ($PAST_DAYS past day partitions in two)"
setup pgm_ins_fresh 0
setup pgm_ins_steady "$PAST_DAYS"
setup pgm_ins_old "$PAST_DAYS" old
parts() { psql "$(database_url "$1")" -XAqtc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.call_events'::regclass"; }

declare -A samples
for ((round = 1; round <= RUNS; round++)); do
  for db in pgm_ins_fresh pgm_ins_steady pgm_ins_old; do
    ms=$(latency $db)
    samples[$db]+="$ms "
    log "round $round: $db $ms ms"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fresh=$(echo "${samples[pgm_ins_fresh]}" | median)
printf '\n| shape | partitions | ms per insert (median of %d) | vs fresh |\n| --- | ---: | ---: | ---: |\n' "$RUNS"
for db in pgm_ins_fresh pgm_ins_steady pgm_ins_old; do
  m=$(echo "${samples[$db]}" | median)
  printf '| %s | %s | %s | %.2f× |\n' "${db#pgm_ins_}" "$(parts $db)" "$m" "$(echo "$m / $fresh" | bc -l)"
done
