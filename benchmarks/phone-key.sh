#!/usr/bin/env bash
# What encrypting one phone number costs, by pgcrypto method (issue 18: key
# separation). On demand, not a test.
#
#   benchmarks/phone-key.sh        throwaway server unless DATABASE_URL is set
#
# Runs N encryptions (and N decryptions) of a Swedish number in one statement
# per method, ROUNDS times interleaved, and prints per-row microseconds
# (median of the rounds) and the ratio to a baseline measured in the same run:
# HMAC-SHA256 of the number (the lookup hash every insert computes anyway).
#
# Methods:
#   pgp default      pgp_sym_encrypt(number, key): OpenPGP with iterated,
#                    salted S2K (s2k-mode=3, a random count of 65536-253952
#                    hash bytes): a password-stretching KDF on every call
#   pgp s2k-mode=1   salted S2K, one hash: no stretching
#   pgp s2k-mode=0   simple S2K: key = hash(password)
#   derive+pgp s2k1  HMAC(secret, label) to derive the encryption key, then
#                    pgp_sym_encrypt with s2k-mode=1 (what key separation costs)
#   aes-cbc raw      encrypt_iv with a random IV, no integrity check (for scale
#                    only: without a MAC it is not a candidate)
# Environment: N (default 2000), ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

N=${N:-2000}
ROUNDS=${ROUNDS:-5}
DB="pgm_bench_key_$$"
source scripts/lib/database-url.sh
URL=$(database_url "$DB")

psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB"
trap 'psql "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
# The key in the startup options, as the README asks of every client.
export PGOPTIONS="-c app.k=bench-secret-7d1f0c2b9e4a4f7c8b3e2d1a0f9e8d7c"
run() { psql "$URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
run -c "CREATE EXTENSION IF NOT EXISTS pgcrypto"

# name|SQL expression over the number n (text) and key k (text)
METHODS=(
  "hmac-sha256 (baseline)|hmac(n, k, 'sha256')"
  "pgp default (iterated S2K)|pgp_sym_encrypt(n, k)"
  "pgp s2k-mode=1|pgp_sym_encrypt(n, k, 's2k-mode=1')"
  "pgp s2k-mode=0|pgp_sym_encrypt(n, k, 's2k-mode=0')"
  "derive+pgp s2k-mode=1|pgp_sym_encrypt(n, encode(hmac('phone-encryption', k, 'sha256'), 'hex'), 's2k-mode=1')"
  "aes-cbc raw (no MAC)|encrypt_iv(convert_to(n, 'UTF8'), digest(k, 'sha256'), gen_random_bytes(16), 'aes-cbc')"
)
# name|SQL decrypting column c (encrypted by the same method)
DECRYPT=(
  "pgp default (iterated S2K)|pgp_sym_decrypt(c, k)"
  "pgp s2k-mode=1|pgp_sym_decrypt(c, k)"
  "pgp s2k-mode=0|pgp_sym_decrypt(c, k)"
)

run -c "CREATE FUNCTION bench(query text, n int) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; BEGIN
  t0 := clock_timestamp();
  EXECUTE query;
  RETURN round((extract(epoch FROM clock_timestamp() - t0) * 1e6 / n)::numeric, 2);
END \$\$"
ROWS="SELECT '+46701234567' || g AS n, current_setting('app.k') AS k FROM generate_series(1, $N) g"

time_expr() { # expr -> microseconds per row
  echo "SELECT bench(:'q', $N)" | run -v q="SELECT count($1) FROM ($ROWS) s"
}

time_decrypt() { # method-encrypt-expr decrypt-expr -> microseconds per row
  run -c "SET client_min_messages = warning; DROP TABLE IF EXISTS enc; CREATE TABLE enc AS SELECT $1 AS c, k FROM ($ROWS) s" >/dev/null
  echo "SELECT bench(:'q', $N)" | run -v q="SELECT count($2) FROM enc"
}

declare -A samples
for round in $(seq 1 "$ROUNDS"); do
  for entry in "${METHODS[@]}"; do
    name=${entry%%|*}
    samples["enc|$name"]+="$(time_expr "${entry#*|}") "
  done
  for entry in "${DECRYPT[@]}"; do
    name=${entry%%|*}
    enc=""
    for m in "${METHODS[@]}"; do [[ ${m%%|*} == "$name" ]] && enc=${m#*|}; done
    samples["dec|$name"]+="$(time_decrypt "$enc" "${entry#*|}") "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(echo "${samples["enc|hmac-sha256 (baseline)"]}" | median)
printf '\nphone key methods: %s rows x %s rounds, PostgreSQL %s, load %s\n\n' "$N" "$ROUNDS" \
  "$(run -c 'SHOW server_version')" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| method | encrypt µs/row | ratio to HMAC | decrypt µs/row |\n| --- | ---: | ---: | ---: |\n'
for entry in "${METHODS[@]}"; do
  name=${entry%%|*}
  enc=$(echo "${samples["enc|$name"]}" | median)
  dec="-"
  [[ -n "${samples["dec|$name"]:-}" ]] && dec=$(echo "${samples["dec|$name"]}" | median)
  printf '| %s | %s | %s× | %s |\n' "$name" "$enc" "$(awk -v a="$enc" -v b="$base" 'BEGIN { printf "%.1f", a / b }')" "$dec"
done
