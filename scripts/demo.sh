#!/usr/bin/env bash
# The main job, end to end, on a throwaway local PostgreSQL (or on
# DATABASE_URL when it is set: it must be an empty database you can throw
# away): build pgmigrate, migrate, show the status, migrate again (nothing to
# do), load demo calls through the generated triggers, show the database
# refusing a bad status change and isolating tenants, run the retention purge
# the way cron would, erase one customer (GDPR), and end with a drift check.
set -euo pipefail
cd "$(dirname "$0")/.."

# PGMIGRATE_BIN: run this pgmigrate instead of building a release one
# (scripts/test.sh runs the demo with the debug build).
if [[ -z "${DATABASE_URL:-}" ]]; then
  [[ -n "${PGMIGRATE_BIN:-}" ]] || swift build -c release --product pgmigrate >&2
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi

BIN=${PGMIGRATE_BIN:-}
if [[ -z "$BIN" ]]; then
  BIN=$(swift build -c release --product pgmigrate --show-bin-path)/pgmigrate
  [[ -x "$BIN" ]] || swift build -c release --product pgmigrate >&2
fi
export PGMIGRATE_PHONE_ENCRYPTION_KEY=demo-key-not-for-production  # the key the demo data is stored with
BUSINESS_A=a0000000-0000-4000-8000-000000000000

step() { printf '\n$ pgmigrate %s\n' "$*"; "$BIN" "$@"; }
sql() { # label, psql arguments...: prints the label as the command shown
  local label=$1; shift
  printf '\n$ %s\n' "$label"
  psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"
}

step ping
step migrate
step status
step migrate

# The key travels in the connection's startup options (PGOPTIONS), never as statement text.
PGOPTIONS="-c app.phone_encryption_key=$PGMIGRATE_PHONE_ENCRYPTION_KEY" \
  sql "PGOPTIONS='-c app.phone_encryption_key=…' psql -f scripts/demo-data.sql   # 2 businesses, 4 calls aged 2 hours to 100 days" -o /dev/null -f scripts/demo-data.sql
sql "psql -c \"SELECT business_id, status, created_at::date, left(customer_phone, 16) ... FROM call_sessions\"" \
  -c "SELECT business_id, status, created_at::date AS created, left(customer_phone, 16) || '…' AS customer_phone_encrypted,
             (SELECT count(*) FROM call_events e WHERE e.call_session_id = s.id) AS events
      FROM call_sessions s ORDER BY created_at"
printf '\n$ psql -c "UPDATE call_sessions SET status = '\''in_progress'\'' WHERE status = '\''completed'\''"   # the state machine refuses\n'
if psql "$DATABASE_URL" -X -q -c "UPDATE call_sessions SET status = 'in_progress' WHERE status = 'completed'" 2>&1; then
  echo "demo: the state machine accepted completed -> in_progress" >&2
  exit 1
fi
sql "PGOPTIONS='-c role=business_app -c app.current_business_id=$BUSINESS_A' psql -c \"SELECT count(*) ...\"   # tenant A sees only its calls" \
  -c "SET ROLE business_app" -c "SET app.current_business_id = '$BUSINESS_A'" \
  -c "SELECT count(*) AS sessions_visible, count(DISTINCT business_id) AS businesses_visible FROM call_sessions"

step purge --dry-run
step purge
sql "psql -c \"SELECT transcript FROM call_sessions WHERE transcript IS NOT NULL\"   # anonymised by the purge" \
  -c "SELECT transcript FROM call_sessions WHERE transcript IS NOT NULL ORDER BY id"
step purge
printf '\n$ echo "070-123 45 67" | pgmigrate erase --phone-stdin\n'
echo "070-123 45 67" | "$BIN" erase --phone-stdin
step drift
