#!/usr/bin/env bash
# Benchmark of retention by partition (tracker issue 16). On demand, not a test.
#
#   benchmarks/purge-partitions.sh      throwaway server unless DATABASE_URL is set
#
# Loads ROWS events spread evenly over DAYS days into three identical tables
# and applies a 90-day delete rule three ways, measuring time, WAL bytes
# (pg_current_wal_lsn() before and after) and the longest transaction on the
# table (for the partition path: DETACH + DROP, which holds ACCESS EXCLUSIVE
# on the parent; for the row paths: a statement or batch holding ROW EXCLUSIVE
# and its rows' locks):
#   single     one DELETE ... RETURNING of every old row (the baseline);
#   batches    today's row path: batches of BATCH rows found by the age index,
#              FOR UPDATE SKIP LOCKED, deleted by ctid, one transaction each;
#   partitions daily partitions (the model's default): each partition wholly
#              past the age detached and dropped in its own transaction, the
#              straddling day by the batch path, as PartitionRetirer does.
# The table is shaped like an event log (uuid id, timestamptz, text, jsonb).
# Environment: ROWS (default 1000000), DAYS (default 120), BATCH (default 500).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

ROWS=${ROWS:-1000000}
DAYS=${DAYS:-120}
BATCH=${BATCH:-500}
DB="pgm_bench_part_$$"
log() { printf 'bench: %s\n' "$*" >&2; }

source scripts/lib/database-url.sh
URL=$(database_url "$DB")
psql_admin() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_db() { psql "$URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() { psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql_admin -c "CREATE DATABASE $DB"

log "loading $ROWS rows over $DAYS days into three tables"
psql_db <<SQL
CREATE TABLE bench_log (
    at timestamptz NOT NULL, id uuid NOT NULL DEFAULT gen_random_uuid(), kind text NOT NULL, payload jsonb NOT NULL);
INSERT INTO bench_log (at, kind, payload)
SELECT now() - (i::double precision / $ROWS) * interval '$DAYS days', 'provider_request',
       jsonb_build_object('n', i, 'body', repeat('x', 60))
FROM generate_series(1, $ROWS) i;

-- Autovacuum off on every table, so no measurement waits behind it for a lock.
CREATE TABLE single_t (LIKE bench_log INCLUDING ALL, PRIMARY KEY (id)) WITH (autovacuum_enabled = off);
CREATE INDEX ON single_t (at);
INSERT INTO single_t SELECT * FROM bench_log;
CREATE TABLE batches_t (LIKE bench_log INCLUDING ALL, PRIMARY KEY (id)) WITH (autovacuum_enabled = off);
CREATE INDEX ON batches_t (at);
INSERT INTO batches_t SELECT * FROM bench_log;

CREATE TABLE parts_t (LIKE bench_log INCLUDING ALL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE INDEX ON parts_t (at);
CREATE TABLE parts_t_default PARTITION OF parts_t DEFAULT WITH (autovacuum_enabled = off);
DO \$\$
DECLARE d date;
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - $DAYS - 1, (now() AT TIME ZONE 'UTC')::date + 7, '1 day')::date LOOP
        EXECUTE format('CREATE TABLE parts_t_p%s PARTITION OF parts_t FOR VALUES FROM (%L) TO (%L) WITH (autovacuum_enabled = off)',
            to_char(d, 'YYYYMMDD'), d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
    END LOOP;
END
\$\$;
INSERT INTO parts_t SELECT * FROM bench_log;
DROP TABLE bench_log;
VACUUM ANALYZE;
CHECKPOINT;

-- Today's row path, one batch per transaction.
-- On the partitioned table (pruned), the DELETE repeats the age predicate as the
-- generated retention function does, so executor-start pruning skips young partitions.
CREATE PROCEDURE purge_batches(tbl regclass, batch int, pruned boolean, INOUT total bigint, INOUT longest_ms double precision)
LANGUAGE plpgsql AS \$\$
DECLARE n int; t0 timestamptz;
BEGIN
    total := 0; longest_ms := 0;
    LOOP
        t0 := clock_timestamp();
        EXECUTE format(\$q\$
            WITH b AS (SELECT t.tableoid AS rel, t.ctid AS row_id FROM %s t
                       WHERE at < now() - interval '90 days' ORDER BY at LIMIT %s FOR UPDATE SKIP LOCKED)
            DELETE FROM %s t WHERE %s t.ctid = ANY (ARRAY(SELECT row_id FROM b))
              AND ((t.tableoid, t.ctid) IN (SELECT rel, row_id FROM b)) IS TRUE\$q\$, tbl, batch, tbl,
            CASE WHEN pruned THEN \$p\$(at < now() - interval '90 days') AND\$p\$ ELSE '' END);
        GET DIAGNOSTICS n = ROW_COUNT;
        COMMIT;
        longest_ms := greatest(longest_ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
        total := total + n;
        EXIT WHEN n < batch;
    END LOOP;
END
\$\$;

-- Retention by partition: each whole partition past the age detached and dropped, then the row path.
CREATE PROCEDURE purge_partitions(INOUT parts int, INOUT part_rows bigint, INOUT longest_ms double precision)
LANGUAGE plpgsql AS \$\$
DECLARE r record; t0 timestamptz; n bigint;
BEGIN
    parts := 0; part_rows := 0; longest_ms := 0;
    FOR r IN SELECT c.relname, to_date(right(c.relname, 8), 'YYYYMMDD') AS d
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'parts_t'::regclass AND c.relname ~ '_p[0-9]{8}$' ORDER BY 2 LOOP
        EXIT WHEN ((r.d + 1)::text || ' 00:00:00+00')::timestamptz > now() - interval '90 days';
        EXECUTE format('SELECT count(*) FROM %I', r.relname) INTO n;
        t0 := clock_timestamp();
        SET LOCAL lock_timeout = '2s';
        EXECUTE format('ALTER TABLE parts_t DETACH PARTITION %I', r.relname);
        EXECUTE format('DROP TABLE %I', r.relname);
        COMMIT;
        longest_ms := greatest(longest_ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
        parts := parts + 1; part_rows := part_rows + n;
    END LOOP;
END
\$\$;
SQL

run() { # label, sql printing "rows|longest_ms|note"
  local label=$1 sql=$2
  psql_db -At <<SQL
\\set QUIET on
SELECT pg_current_wal_lsn() AS lsn0, clock_timestamp() AS t0 \\gset
$sql
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'lsn0') AS wal, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS ms \\gset
SELECT '$label' || '|' || :'wal' || '|' || round(:'ms'::numeric, 1) || '|' || :'result';
SQL
}

log "single DELETE ... RETURNING"
S=$(run single "WITH d AS (DELETE FROM single_t WHERE at < now() - interval '90 days' RETURNING id) SELECT count(*) || '|' || round(extract(epoch FROM clock_timestamp() - :'t0')::numeric * 1000, 1) || '|all rows in one statement' AS result FROM d \\gset")
log "batches of $BATCH"
B=$(run batches "CALL purge_batches('batches_t', $BATCH, false, 0, 0) \\gset
SELECT :'total' || '|' || round(:'longest_ms'::numeric, 1) || '|$BATCH-row batches' AS result \\gset")
log "partitions"
P=$(run partitions "CALL purge_partitions(0, 0, 0) \\gset
SELECT :'longest_ms' AS part_longest, round(extract(epoch FROM clock_timestamp() - :'t0')::numeric * 1000, 1) AS part_ms \\gset
CALL purge_batches('parts_t', $BATCH, true, 0, 0) \\gset
SELECT (:'part_rows'::bigint + :'total'::bigint) || '|' || round(greatest(:'part_longest'::numeric, :'longest_ms'::numeric), 1) || '|' || :'parts' || ' partitions (' || :'part_rows' || ' rows) in ' || :'part_ms' || ' ms (longest ' || round(:'part_longest'::numeric, 1) || ') + ' || :'total' || ' rows by batches (longest ' || round(:'longest_ms'::numeric, 1) || ')' AS result \\gset")

python3 - "$S" "$B" "$P" <<'PY'
import sys
rows = [line.split('|') for line in sys.argv[1:]]
base = rows[0]
base_rate = int(base[3]) / (float(base[2]) / 1000)
base_wal = int(base[1])
print(f"{'method':<11} {'rows':>9} {'time ms':>10} {'rows/s':>11} {'x single':>9} {'WAL MB':>9} {'% single WAL':>13} {'longest txn ms':>15}  note")
for label, wal, ms, n, longest, note in rows:
    rate = int(n) / (float(ms) / 1000)
    print(f"{label:<11} {int(n):>9} {float(ms):>10.1f} {rate:>11.0f} {rate / base_rate:>9.2f} {int(wal) / 1e6:>9.1f} {100 * int(wal) / base_wal:>12.2f}% {float(longest):>15.1f}  {note}")
PY
