#!/usr/bin/env bash
# What a phone key rotation costs, and what key separation saves per insert
# (issue 18). On demand, not a test.
#
#   benchmarks/rotate-phone-key.sh      throwaway server unless DATABASE_URL is set
#
# 1. sql/0001 only; N sessions inserted under the old key in one statement
#    (the first release's scheme: the secret is the pgp password, iterated S2K);
# 2. the later migrations; `pgmigrate rotate-phone-key` from the legacy
#    scheme to derived keys while a writer inserts sessions with the OLD key,
#    one transaction each; rows/s and the longest batch transaction;
# 3. N sessions inserted with the new key (derived keys, s2k-mode=1);
# 4. a second rotation, derived -> derived (new key -> newer key), same writer.
# Ratios: inserts to the legacy insert, rotations to the legacy rotation,
# each baseline measured in the same run.
# Environment: N (default 20000), PGMIGRATE_BIN (default .build/debug/pgmigrate).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

N=${N:-20000}
BIN=${PGMIGRATE_BIN:-.build/debug/pgmigrate}
[[ -x $BIN ]] || { echo "no $BIN: run swift build first" >&2; exit 64; }
DB="pgm_bench_rotate_$$"
source scripts/lib/database-url.sh
URL=$(database_url "$DB")
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB"
trap 'psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

K1=bench-old-key-0f1e2d3c4b5a6978
K2=bench-new-key-8796a5b4c3d2e1f0
K3=bench-newer-key-1a2b3c4d5e6f7081
q() { PGOPTIONS="-c app.phone_encryption_key=$1" psql "$URL" -X -q -A -t -v ON_ERROR_STOP=1 "${@:2}"; }
now() { date +%s.%N; }
insert_ms() { # key prefix -> ms per row of one INSERT … SELECT of N sessions
  local t0 t1
  t0=$(now)
  q "$1" -c "INSERT INTO call_sessions (business_id, verification_id, customer_phone)
             SELECT '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1', '$2' || lpad(g::text, 7, '0')
             FROM generate_series(1, $N) g"
  t1=$(now)
  echo "($t1 - $t0) * 1000 / $N" | bc -l
}
writer() { # key: single-row inserts, one transaction each, until the stop file appears
  local i=0
  while [[ ! -e /tmp/pgm-bench-rotate-stop.$$ ]]; do
    i=$((i + 1))
    echo "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000c1', '07188' || lpad('$((i % 99999))', 5, '0'));"
    [[ $((i % 10)) == 0 ]] && sleep 0.05  # at most ~200 rows/s
  done | q "$1" >/dev/null 2>&1  # refused (22023) once the rotation has finished: expected
}
rotate() { # old new -> "rows batches longest_ms seconds"
  local t0 t1 json
  rm -f /tmp/pgm-bench-rotate-stop.$$
  writer "$1" & local wpid=$!
  t0=$(now)
  json=$(DATABASE_URL="$URL" PGMIGRATE_PHONE_ENCRYPTION_KEY=$1 PGMIGRATE_NEW_PHONE_ENCRYPTION_KEY=$2 "$BIN" rotate-phone-key --json)
  t1=$(now)
  touch /tmp/pgm-bench-rotate-stop.$$; wait $wpid || true; rm -f /tmp/pgm-bench-rotate-stop.$$
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["rotated"], r["batches"], r["longestBatchMilliseconds"])' "$json" | tr '\n' ' '
  echo "$t1 - $t0" | bc -l
}

DATABASE_URL="$URL" "$BIN" migrate --target 1 >/dev/null 2>&1
q $K1 -c "INSERT INTO businesses VALUES ('00000000-0000-0000-0000-0000000000b1'); INSERT INTO customer_verifications VALUES ('00000000-0000-0000-0000-0000000000c1')"
legacy_ms=$(insert_ms $K1 +4670)
DATABASE_URL="$URL" "$BIN" migrate >/dev/null 2>&1
read -r r1 b1 l1 s1 <<<"$(rotate $K1 $K2)"
derived_ms=$(insert_ms $K2 +4671)
read -r r2 b2 l2 s2 <<<"$(rotate $K2 $K3)"

echo
echo "phone key rotation: N=$N sessions, $(psql "$URL" -X -A -t -c 'SHOW server_version' | cut -d' ' -f1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | value | ratio |"
echo "| --- | ---: | ---: |"
printf '| session insert, legacy scheme (0001), ms/row (baseline) | %.3f | 1.00x |\n' "$legacy_ms"
printf '| session insert, derived keys + s2k-mode=1, ms/row | %.3f | %.2fx |\n' "$derived_ms" "$(echo "$derived_ms / $legacy_ms" | bc -l)"
printf '| rotation legacy -> derived, rows/s (baseline; %d rows, %d batches) | %.0f | 1.00x |\n' "$r1" "$b1" "$(echo "$r1 / $s1" | bc -l)"
printf '| rotation derived -> derived, rows/s (%d rows, %d batches) | %.0f | %.2fx |\n' "$r2" "$b2" "$(echo "$r2 / $s2" | bc -l)" "$(echo "($r2 / $s2) / ($r1 / $s1)" | bc -l)"
printf '| longest batch transaction, legacy -> derived, ms | %s | |\n' "$l1"
printf '| longest batch transaction, derived -> derived, ms | %s | |\n' "$l2"
echo
echo "(rows include what the concurrent old-key writer added during each rotation)"
