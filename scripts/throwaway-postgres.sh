#!/usr/bin/env bash
# Starts a private, throwaway PostgreSQL cluster and removes it on exit.
#
#   scripts/throwaway-postgres.sh                 print the URL, keep it running until Ctrl-C
#   scripts/throwaway-postgres.sh CMD [ARG...]    run CMD with DATABASE_URL set, then tear down
#
# The cluster lives in a temporary folder, listens on a free port on
# 127.0.0.1 and on a unix socket in that folder, and trusts local
# connections. Run as root, the server runs as the `postgres` OS user
# (initdb and postgres refuse root); run as anyone else, as that user.
# Settings favour speed over durability (fsync off): never keep data here.
#
# Environment: PG_BIN (server binaries folder), PGMIGRATE_PG_KEEP=1 (keep the
# folder for post-mortem), PGMIGRATE_PG_CONF (extra postgresql.conf lines).
set -euo pipefail

log() { printf 'throwaway-postgres: %s\n' "$*" >&2; }

find_pg_bin() {
  if [[ -n "${PG_BIN:-}" && -x "$PG_BIN/initdb" ]]; then echo "$PG_BIN"; return 0; fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$candidate" && -x "$candidate/initdb" ]]; then echo "$candidate"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  if command -v pg_config >/dev/null 2>&1; then
    candidate=$(pg_config --bindir 2>/dev/null || true)
    if [[ -n "$candidate" && -x "$candidate/initdb" ]]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

ensure_installed() {
  local missing=()
  find_pg_bin >/dev/null || missing+=(postgresql postgresql-contrib)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  if ! pkg-config --exists libpq 2>/dev/null; then missing+=(libpq-dev pkg-config); fi
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ -f /etc/debian_version ]]; then
    local cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
      log "installing ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive bash -c "$cmd" >&2
      return 0
    fi
    log "missing ${missing[*]}; install them with: sudo $cmd"
  else
    log "missing ${missing[*]}: install PostgreSQL server binaries, psql and libpq headers, or set PG_BIN"
  fi
  exit 1
}

ensure_installed
PG_BIN=$(find_pg_bin)

if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || { log "running as root needs the 'postgres' OS user (it comes with the postgresql package)"; exit 1; }
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgmigrate-pg.XXXXXX")
chmod 755 "$DIR"
[[ $(id -u) -eq 0 ]] && chown postgres: "$DIR"
DATA="$DIR/data"
LOGFILE="$DIR/server.log"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "${SLEEPER:-}" ]]; then kill "$SLEEPER" 2>/dev/null || true; fi
  if [[ -f "$DATA/postmaster.pid" ]]; then
    as_server "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ "${PGMIGRATE_PG_KEEP:-0}" == 1 ]]; then
    log "kept $DIR"
  else
    rm -rf "$DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_server "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; log "initdb failed"; exit 1; }

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

started=0
for attempt in 1 2 3 4 5 6 7 8; do
  PORT=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  port_is_free "$PORT" || continue
  cat >"$DATA/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
max_wal_size = 2GB
log_min_messages = warning
log_min_error_statement = panic
${PGMIGRATE_PG_CONF:-}
CONF
  if as_server "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >/dev/null 2>&1; then
    started=1
    break
  fi
  log "start on port $PORT failed (attempt $attempt), retrying"
done
if [[ $started -ne 1 ]]; then
  tail -n 20 "$LOGFILE" >&2 2>/dev/null || true
  log "could not start the server"
  exit 1
fi

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export PGMIGRATE_THROWAWAY_DIR="$DIR"
export PGMIGRATE_PG_BIN="$PG_BIN"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running at $DATABASE_URL (socket in $DIR)"

if [[ $# -eq 0 ]]; then
  echo "$DATABASE_URL"
  log "press Ctrl-C to stop and remove it"
  # wait, unlike a foreground sleep, returns at once on a signal, so the trap runs.
  while true; do sleep 3600 & SLEEPER=$!; wait "$SLEEPER"; done
else
  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi
