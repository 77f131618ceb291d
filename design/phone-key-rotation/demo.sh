#!/usr/bin/env bash
# Tries prototype.sql (not shipped): 0001 + prototype on a throwaway server,
# N sessions under the legacy key, a rotation killed half-way (SIGKILL of the
# psql running it), a second run, with a writer using the old key meanwhile;
# then checks every number decrypts under the new key, every lookup finds its
# sessions and the old key is refused.
#   design/phone-key-rotation/demo.sh        (N=100000 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z "${DATABASE_URL:-}" ]]; then exec scripts/throwaway-postgres.sh "$0" "$@"; fi
N=${N:-100000}
(( N >= 4000 )) || { echo "N must be at least 4000" >&2; exit 64; }
BATCH=${BATCH:-500}
OLD='old-secret-0123456789abcdef'
NEW='new-secret-fedcba9876543210'
q() { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
as_old() { PGOPTIONS="-c app.phone_encryption_key=$OLD" q "$@"; }
as_new() { PGOPTIONS="-c app.phone_encryption_key=$NEW" q "$@"; }
as_both() { PGOPTIONS="-c app.phone_encryption_key=$OLD -c app.new_phone_encryption_key=$NEW" q "$@"; }

q -c "DO \$\$BEGIN CREATE ROLE call_service; CREATE ROLE business_app; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$"
q -f sql/0001_initial_schema.sql >/dev/null
as_old -c "INSERT INTO businesses VALUES ('00000000-0000-0000-0000-000000000001'); INSERT INTO customer_verifications VALUES ('00000000-0000-0000-0000-000000000002')"
M=2000 # rows timed for the insert cost, before (v1) and after (v2) key separation
ins() { # key-runner count prefix
  $1 -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone)
         SELECT '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '$3' || lpad(g::text, 7, '0')
         FROM generate_series(1, $2) g"
}
t0=$(date +%s.%N); ins as_old $M +4670; t1=$(date +%s.%N)
v1_ms=$(echo "($t1 - $t0) * 1000 / $M" | bc -l)
ins as_old $((N - M)) +4671
q -f design/phone-key-rotation/prototype.sql >/dev/null
echo "prototype applied; legacy rows: $(q -c "SELECT count(*) FROM call_sessions WHERE customer_phone_key_generation = 1")"

# wrong old key refused before any change
if PGOPTIONS="-c app.phone_encryption_key=wrong -c app.new_phone_encryption_key=$NEW" q -c "SELECT * FROM phone_key_rotation_begin()" 2>/tmp/demo-err; then
  echo "FAIL: wrong old key accepted"; exit 1; fi
echo "wrong old key: $(head -1 /tmp/demo-err)"
[[ $(q -c "SELECT retiring_generation IS NULL FROM phone_encryption_key_check") == t ]] || { echo "FAIL: changed"; exit 1; }

# a write that chose the old key as current before the rotation starts and
# commits after: begin waits for it (FOR UPDATE vs its FOR KEY SHARE)
PGOPTIONS="-c app.phone_encryption_key=$OLD" psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 >/dev/null -c "BEGIN" \
  -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '0709999000')" \
  -c "SELECT pg_sleep(3)" -c "COMMIT" & slow=$!
sleep 1
if PGOPTIONS="-c app.phone_encryption_key=$OLD -c app.new_phone_encryption_key=$NEW -c lock_timeout=500" q -c "SELECT * FROM phone_key_rotation_begin()" 2>/tmp/demo-err; then
  echo "FAIL: begin did not wait for an open write"; exit 1; fi
echo "begin while a write with the old key is open: $(head -1 /tmp/demo-err)"
wait $slow
N=$((N + 1))

rotate() { # loop of short transactions, as the CLI would run them
  as_both -c "SELECT * FROM phone_key_rotation_begin()" >/dev/null
  while true; do
    n=$(as_both -c "SELECT phone_key_rotation_batch($BATCH)")
    if [[ $n == 0 ]]; then
      [[ $(as_both -c "SELECT phone_key_rotation_finish()") == t ]] && break
    fi
  done
}
# the rotator in one psql session, killed half-way (SIGKILL of psql itself)
{ echo "SELECT * FROM phone_key_rotation_begin();"
  for _ in $(seq 1 $((N / BATCH + 10))); do echo "SELECT phone_key_rotation_batch($BATCH);"; done; } > /tmp/demo-rotate.sql
PGOPTIONS="-c app.phone_encryption_key=$OLD -c app.new_phone_encryption_key=$NEW" \
  psql "$DATABASE_URL" -X -q -A -t -f /tmp/demo-rotate.sql >/dev/null & pid=$!
while [[ $(q -c "SELECT count(*) FROM call_sessions WHERE customer_phone_key_generation = 2") -lt $((N / 2)) ]]; do sleep 0.2; done
kill -KILL $pid; wait $pid 2>/dev/null || true
echo "killed: $(q -c "SELECT count(*) FILTER (WHERE customer_phone_key_generation = 1) || ' old, ' || count(*) FILTER (WHERE customer_phone_key_generation = 2) || ' new' FROM call_sessions")"

# half-way: a writer with the old key and one with the new key are accepted; erase with both keys
as_old -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '0709999001')"
as_new -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '0709999002')"
erased=$(as_both -c "SELECT sessions FROM erase_customer_data('+46710000007')")
echo "half-way erase of a legacy customer: $erased session(s)"

# second run, in one session (each statement its own transaction), while a
# writer keeps inserting with the OLD key; the server times each batch.
writer() {
  for i in $(seq 1 400); do
    echo "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '07188' || lpad('$i', 5, '0'));"
  done | as_old >/dev/null
}
writer & wpid=$!
left=$(q -c "SELECT count(*) FROM call_sessions WHERE customer_phone IS NOT NULL AND customer_phone_key_generation = 1")
t0=$(date +%s.%N)
{ echo "SELECT * FROM phone_key_rotation_begin();"
  for _ in $(seq 1 $((left / BATCH + 20))); do
    echo "SELECT phone_key_rotation_batch($BATCH) || ' ' || round(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000, 1);"
  done; } | as_both > /tmp/demo-batches
t1=$(date +%s.%N)
wait $wpid
rotate # whatever the writer added behind the batches, then finish
rotated=$(awk 'NF == 2 { s += $1 } END { print s }' /tmp/demo-batches)
longest=$(awk 'NF == 2 && $2 > m { m = $2 } END { print m }' /tmp/demo-batches)
echo "second run: $rotated rows in $(echo "$t1 - $t0" | bc) s = $(echo "$rotated / ($t1 - $t0)" | bc) rows/s, batch of $BATCH, longest batch transaction ${longest} ms (a writer inserting meanwhile)"

t0=$(date +%s.%N); ins as_new $M +4672; t1=$(date +%s.%N)
v2_ms=$(echo "($t1 - $t0) * 1000 / $M" | bc -l)
printf 'session insert (one statement of %d rows, per row): v1 legacy %.3f ms, v2 derived %.3f ms (%.2fx)\n' $M "$v1_ms" "$v2_ms" "$(echo "$v2_ms / $v1_ms" | bc -l)"
N=$((N + M))
total=$(q -c "SELECT count(*) FROM call_sessions")
ok=$(as_new -c "SELECT count(*) FROM call_sessions WHERE customer_phone IS NULL OR decrypt_customer_phone(customer_phone, customer_phone_key_generation) ~ '^\+46[1-9][0-9]{6,8}\$'")
found=$(as_new -c "SELECT count(*) FROM call_sessions s WHERE s.customer_phone IS NULL OR s.customer_phone_hash = customer_phone_lookup_hash(decrypt_customer_phone(s.customer_phone))")
gens=$(q -c "SELECT string_agg(DISTINCT customer_phone_key_generation::text, ',') FROM call_sessions WHERE customer_phone IS NOT NULL")
echo "rows $total (expected $((N + 402))), decrypt with new key $ok, lookup by number $found, generations $gens"
[[ $total == $((N + 402)) && $ok == "$total" && $found == "$total" && $gens == 2 ]] || { echo FAIL; exit 1; }
if as_old -c "SELECT customer_phone_lookup_hash('0709999001')" 2>/tmp/demo-err; then echo "FAIL: old key accepted after rotation"; exit 1; fi
echo "old key after rotation: $(head -1 /tmp/demo-err)"
echo "erase after rotation (new key): $(as_new -c "SELECT sessions FROM erase_customer_data('0709999001')") session(s)"

# v1 -> v2 with the same secret (key separation for existing data): a second database
BASE=${DATABASE_URL%%\?*}; Q=${DATABASE_URL#"$BASE"}; URL2="${BASE%/*}/demo_same_secret$Q"
q -c "CREATE DATABASE demo_same_secret"
q2() { PGOPTIONS="-c app.phone_encryption_key=$OLD -c app.new_phone_encryption_key=$OLD" psql "$URL2" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
q2 -f sql/0001_initial_schema.sql >/dev/null
q2 -c "INSERT INTO businesses VALUES ('00000000-0000-0000-0000-000000000001'); INSERT INTO customer_verifications VALUES ('00000000-0000-0000-0000-000000000002')" \
   -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone) SELECT '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '+4670' || lpad(g::text, 7, '0') FROM generate_series(1, 20) g"
q2 -f design/phone-key-rotation/prototype.sql >/dev/null
q2 -c "SELECT * FROM phone_key_rotation_begin()" -c "SELECT phone_key_rotation_batch(50)" -c "SELECT phone_key_rotation_finish()" >/dev/null
same=$(q2 -c "SELECT generation || '/' || scheme || '/' || (retiring_generation IS NULL) FROM phone_encryption_key_check")
opens=$(q2 -c "SELECT count(*) FROM call_sessions WHERE decrypt_customer_phone(customer_phone, customer_phone_key_generation) LIKE '+4670%' AND customer_phone_hash = customer_phone_lookup_hash(decrypt_customer_phone(customer_phone))")
legacy=$(q2 -c "SELECT count(*) FROM call_sessions WHERE customer_phone_key_generation = 1")
echo "same secret v1 -> v2: record generation/scheme/done $same, rows opening under v2 $opens of 20, legacy rows left $legacy"
[[ $same == 2/2/true && $opens == 20 && $legacy == 0 ]] || { echo FAIL; exit 1; }
echo OK
