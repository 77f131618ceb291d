#!/usr/bin/env bash
# Benchmark of retention by partition (tracker issue 16). On demand, not a test.
#
#   benchmarks/purge-partitions.sh      throwaway server unless DATABASE_URL is set
#
# Loads ROWS events spread evenly over DAYS days into identical tables and
# applies a 90-day delete rule, measuring time, WAL bytes (pg_current_wal_insert_lsn()
# before and after) and the longest transaction on the table (for the
# partition path: DETACH + DROP, which holds ACCESS EXCLUSIVE on the parent;
# for the row paths: a statement or batch holding ROW EXCLUSIVE and its rows'
# locks). Two cut-offs, each fixed once at the start (so every method of a
# case deletes the same rows):
#   mid-day   now() - 90 days, as cron meets it: one day partition straddles it;
#   boundary  the UTC midnight before that: old data fills whole partitions,
#             nothing straddles (the case issue 16's targets name).
# Methods:
#   single     one DELETE ... RETURNING of every old row (the baseline, one
#              table per cut-off);
#   batches    today's row path: batches of BATCH rows found by the age index,
#              FOR UPDATE SKIP LOCKED, deleted by ctid, one transaction each
#              (mid-day only: its rate does not depend on the cut-off);
#   partitions daily partitions (the model's default): each partition wholly
#              past the age detached and dropped in its own transaction, then
#              the batch path through the parent, as PartitionRetirer and the
#              retention function do;
#   partitions-nocount (boundary only) the same without counting each
#              partition's rows first (PartitionRetirer counts them for its
#              report; here they are counted before the timing);
#   straddle by its partition (mid-day, measured on the boundary case's table
#              once its whole partitions are gone, the same state the
#              partitions method reaches before its batches): the straddling
#              day's batches run against that partition itself instead of
#              the parent (no planning over every partition).
# The table is shaped like an event log (uuid id, timestamptz, text, jsonb).
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

# The two cut-offs, fixed now (UTC midnight for the boundary).
IFS='|' read -r MID BOUND STRADDLE < <(psql_db -At -c "SELECT now() - interval '90 days', date_trunc('day', now() - interval '90 days', 'UTC'), to_char((now() - interval '90 days') AT TIME ZONE 'UTC', 'YYYYMMDD')")
log "cut-offs: mid-day '$MID', boundary '$BOUND'; straddling partition p$STRADDLE"

log "loading $ROWS rows over $DAYS days into five tables"
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

CREATE TABLE single_b (LIKE single_t INCLUDING ALL) WITH (autovacuum_enabled = off);
INSERT INTO single_b SELECT * FROM bench_log;

DO \$\$
DECLARE d date; p text;
BEGIN
    FOREACH p IN ARRAY ARRAY['parts_t', 'parts_b', 'parts_c'] LOOP
        EXECUTE format('CREATE TABLE %I (LIKE bench_log INCLUDING ALL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)', p);
        EXECUTE format('CREATE INDEX ON %I (at)', p);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT WITH (autovacuum_enabled = off)', p || '_default', p);
        FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - $DAYS - 1, (now() AT TIME ZONE 'UTC')::date + 7, '1 day')::date LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L) WITH (autovacuum_enabled = off)',
                p || '_p' || to_char(d, 'YYYYMMDD'), p, d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
        END LOOP;
    END LOOP;
END
\$\$;
INSERT INTO parts_t SELECT * FROM bench_log;
INSERT INTO parts_b SELECT * FROM bench_log;
INSERT INTO parts_c SELECT * FROM bench_log;
-- parts_c's partitions' rows, counted before any timing (its run does not count).
CREATE TABLE bench_counts AS
SELECT c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text::bigint AS n
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'parts_c'::regclass;
DROP TABLE bench_log;
VACUUM ANALYZE;
CHECKPOINT;

-- Today's row path, one batch per transaction.
-- On the partitioned table (pruned), the DELETE repeats the age predicate as the
-- generated retention function does, so executor-start pruning skips young partitions.
CREATE PROCEDURE purge_batches(tbl regclass, batch int, pruned boolean, cutoff timestamptz, INOUT total bigint, INOUT longest_ms double precision)
LANGUAGE plpgsql AS \$\$
DECLARE n int; t0 timestamptz;
BEGIN
    total := 0; longest_ms := 0;
    LOOP
        t0 := clock_timestamp();
        EXECUTE format(\$q\$
            WITH b AS (SELECT t.tableoid AS rel, t.ctid AS row_id FROM %s t
                       WHERE at < %L ORDER BY at LIMIT %s FOR UPDATE SKIP LOCKED)
            DELETE FROM %s t WHERE %s t.ctid = ANY (ARRAY(SELECT row_id FROM b))
              AND ((t.tableoid, t.ctid) IN (SELECT rel, row_id FROM b)) IS TRUE\$q\$, tbl, cutoff, batch, tbl,
            CASE WHEN pruned THEN format('(at < %L) AND', cutoff) ELSE '' END);
        GET DIAGNOSTICS n = ROW_COUNT;
        COMMIT;
        longest_ms := greatest(longest_ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
        total := total + n;
        EXIT WHEN n < batch;
    END LOOP;
END
\$\$;

-- Retention by partition: each whole partition past the age detached and dropped, then the row path.
CREATE PROCEDURE purge_partitions(tbl text, cutoff timestamptz, counted boolean, INOUT parts int, INOUT part_rows bigint, INOUT longest_ms double precision, INOUT count_ms double precision)
LANGUAGE plpgsql AS \$\$
DECLARE r record; t0 timestamptz; n bigint;
BEGIN
    parts := 0; part_rows := 0; longest_ms := 0; count_ms := 0;
    FOR r IN SELECT c.relname, to_date(right(c.relname, 8), 'YYYYMMDD') AS d
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = tbl::regclass AND c.relname ~ '_p[0-9]{8}$' ORDER BY 2 LOOP
        EXIT WHEN ((r.d + 1)::text || ' 00:00:00+00')::timestamptz > cutoff;
        -- The rows it holds, counted as PartitionRetirer does for its report.
        t0 := clock_timestamp();
        IF counted THEN
            EXECUTE format('SELECT count(*) FROM %I', r.relname) INTO n;
        ELSE
            SELECT b.n INTO n FROM bench_counts b WHERE b.relname = r.relname;
        END IF;
        count_ms := count_ms + extract(epoch FROM clock_timestamp() - t0) * 1000;
        t0 := clock_timestamp();
        SET LOCAL lock_timeout = '2s';
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', tbl, r.relname);
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
SELECT pg_current_wal_insert_lsn() AS lsn0, clock_timestamp() AS t0 \\gset
$sql
SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), :'lsn0') AS wal, extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS ms \\gset
SELECT '$label' || '|' || :'wal' || '|' || round(:'ms'::numeric, 1) || '|' || :'result';
SQL
}

single() { # table, cut-off
  run single "WITH d AS (DELETE FROM $1 WHERE at < '$2' RETURNING id) SELECT count(*) || '|' || round(extract(epoch FROM clock_timestamp() - :'t0')::numeric * 1000, 1) || '|all rows in one statement' AS result FROM d \\gset"
}
partitions() { # table, cut-off[, false: without counting the rows]
  run "partitions${3:+-nocount}" "CALL purge_partitions('$1', '$2', ${3:-true}, 0, 0, 0, 0) \\gset
SELECT :'longest_ms' AS part_longest, round(extract(epoch FROM clock_timestamp() - :'t0')::numeric * 1000, 1) AS part_ms \\gset
CALL purge_batches('$1', $BATCH, true, '$2', 0, 0) \\gset
SELECT (:'part_rows'::bigint + :'total'::bigint) || '|' || round(greatest(:'part_longest'::numeric, :'longest_ms'::numeric), 1) || '|' || :'parts' || ' partitions (' || :'part_rows' || ' rows) in ' || :'part_ms' || ' ms (longest ' || round(:'part_longest'::numeric, 1) || '; counting their rows ' || round(:'count_ms'::numeric, 1) || ' ms of it) + ' || :'total' || ' rows by batches through the parent in ' || round(extract(epoch FROM clock_timestamp() - :'t0')::numeric * 1000 - :'part_ms'::numeric, 1) || ' ms (longest ' || round(:'longest_ms'::numeric, 1) || ')' AS result \\gset"
}

log "mid-day: single DELETE ... RETURNING"
S=$(single single_t "$MID")
log "mid-day: batches of $BATCH"
B=$(run batches "CALL purge_batches('batches_t', $BATCH, false, '$MID', 0, 0) \\gset
SELECT :'total' || '|' || round(:'longest_ms'::numeric, 1) || '|$BATCH-row batches' AS result \\gset")
log "mid-day: partitions"
P=$(partitions parts_t "$MID")
log "boundary: single DELETE ... RETURNING"
SB=$(single single_b "$BOUND")
log "boundary: partitions"
PB=$(partitions parts_b "$BOUND")
log "boundary: partitions, rows not counted"
PC=$(partitions parts_c "$BOUND" false)
log "mid-day: the straddling day by its partition (parts_b_p$STRADDLE)"
ST=$(run straddle "CALL purge_batches('parts_b_p$STRADDLE', $BATCH, false, '$MID', 0, 0) \\gset
SELECT :'total' || '|' || round(:'longest_ms'::numeric, 1) || '|$BATCH-row batches on parts_b_p$STRADDLE itself' AS result \\gset")

python3 - "$S" "$B" "$P" "$ST" "$SB" "$PB" "$PC" <<'PY'
import sys
rows = [line.split('|') for line in sys.argv[1:]]
def table(title, base, lines):
    base_rate = int(base[3]) / (float(base[2]) / 1000)
    base_wal = int(base[1])
    print(f"\n{title}")
    print(f"{'method':<18} {'rows':>9} {'time ms':>10} {'rows/s':>11} {'x single':>9} {'WAL MB':>9} {'% single WAL':>13} {'longest txn ms':>15}  note")
    for label, wal, ms, n, longest, note in lines:
        rate = int(n) / (float(ms) / 1000)
        print(f"{label:<18} {int(n):>9} {float(ms):>10.1f} {rate:>11.0f} {rate / base_rate:>9.2f} {int(wal) / 1e6:>9.1f} {100 * int(wal) / base_wal:>12.2f}% {float(longest):>15.1f}  {note}")
S, B, P, ST, SB, PB, PC = rows
table("mid-day cut-off (one day partition straddles it)", S, [S, B, P, ST])
# partitions with the straddling day by its partition: the boundary case's
# partition step (the same partitions) plus the straddle row above.
comb = ["part+strad", str(int(PB[1]) + int(ST[1])), str(float(PB[2]) + float(ST[2])), str(int(PB[3]) + int(ST[3])),
        str(max(float(PB[4]), float(ST[4]))), "boundary partitions + straddle by its partition (sum of two rows)"]
table("mid-day, straddling day by its partition (composed)", S, [comb])
table("boundary cut-off (old data fills whole partitions)", SB, [SB, PB, PC])
PY
