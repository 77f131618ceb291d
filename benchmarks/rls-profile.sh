#!/usr/bin/env bash
# Where an insert into call_events spends its work: instructions per insert,
# counted by valgrind's callgrind in a single-user backend, split by part
# (the rules trigger, foreign-key check, RLS WITH CHECK, index maintenance,
# CHECK constraints), for call_events with its triggers and row-level
# security, a bare copy with the seed's foreign key, and a bare copy with
# nothing. Prints a table. Run on demand; not a test.
#
#   benchmarks/rls-profile.sh
#
# Instruction counts repeat from run to run whatever else the machine does,
# so they show what a change to the trigger saves; they are not time (WAL
# writes, locks and cache misses cost time but few instructions) -- the
# insert rate is benchmarks/rls.sh's job. Only on a throwaway cluster: the
# server is stopped after loading so that `postgres --single` can open its
# data folder. Needs valgrind.
#
# Environment: BENCH_SESSIONS, BENCH_EVENTS_PER_SESSION, BENCH_TENANTS (as in
# benchmarks/rls.sh), PROFILE_INSERTS (inserts counted per case, default 1000).
# About 4 minutes with the defaults on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'rls-profile: %s\n' "$*" >&2; }

if [[ -z "${PGMIGRATE_THROWAWAY_DIR:-}" ]]; then
  if [[ -n "${DATABASE_URL:-}" ]]; then
    log "runs only on its own throwaway cluster (it stops the server); unset DATABASE_URL"
    exit 64
  fi
  exec scripts/throwaway-postgres.sh "$0" "$@"
fi
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null \
  || { log "needs valgrind (apt-get install valgrind)"; exit 1; }

INSERTS=${PROFILE_INSERTS:-1000}
WARMUP=100
DATA="$PGMIGRATE_THROWAWAY_DIR/data"
PG_BIN=${PGMIGRATE_PG_BIN:?}
if [[ $(id -u) -eq 0 ]]; then as_server() { runuser -u postgres -- "$@"; }; else as_server() { "$@"; }; fi

source benchmarks/lib/events-data.sh
load_events_data
psql_bench -c "CHECKPOINT"
log "stopping the server; each case runs in a single-user backend under callgrind"
as_server "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgm-profile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
[[ $(id -u) -eq 0 ]] && chown postgres: "$WORK"

# A single-user script (-j: a statement ends at ";" and a blank line): the
# tenant's role and setting, one prepared insert, then $2 executions.
single_user_script() { # case, count
  local insert
  case $1 in
    rules)   insert="INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, 'question_asked', 'ai', clock_timestamp())" ;;
    bare)    insert="INSERT INTO bare_events (call_session_id, business_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp())" ;;
    bare_fk) insert="INSERT INTO bare_fk_events (call_session_id, business_id, event_type, source, timestamp) VALUES (md5('s' || ($TENANT + $TENANTS * \$1))::uuid, '$TENANT_ID', 'question_asked', 'ai', clock_timestamp())" ;;
  esac
  printf 'SET ROLE business_app;\n\nSET app.current_business_id = %s;\n\nPREPARE ins(int) AS %s;\n\n' "'$TENANT_ID'" "$insert"
  for i in $(seq "$2"); do printf 'EXECUTE ins(%d);\n\n' $(( (i * 7919) % SESSIONS_PER_TENANT )); done
}

# Runs a script in a single-user backend under callgrind; prints the
# callgrind file's name. Any ERROR in the backend's output fails the run.
profile() { # case, count
  local script="$WORK/$1-$2.sql" out="$WORK/$1-$2.callgrind"
  single_user_script "$1" "$2" >"$script"
  chmod 644 "$script"
  as_server valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$PG_BIN/postgres" --single -j -D "$DATA" pgm_bench <"$script" >"$WORK/$1-$2.log" 2>&1 \
    || { tail -n 5 "$WORK/$1-$2.log" >&2; log "single-user backend failed for $1"; exit 1; }
  if grep -q -E '^(ERROR|FATAL|PANIC):' "$WORK/$1-$2.log"; then
    grep -m 3 -E '^(ERROR|FATAL|PANIC):' "$WORK/$1-$2.log" >&2
    log "the inserts for $1 failed"
    exit 1
  fi
  echo "$out"
}

# Inclusive instructions of the parts, from callgrind_annotate; "total" is
# the whole process. Functions are found by their exported names.
PARTS=(total ExecBRInsertTriggers RI_FKey_check_ins ExecWithCheckOptions ExecInsertIndexTuples ExecConstraints heap_insert CommitTransactionCommand)
parts() { # callgrind file
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v names="${PARTS[*]}" '
    BEGIN { n = split(names, want, " "); for (i = 1; i <= n; i++) got[want[i]] = 0 }
    /PROGRAM TOTALS/ { gsub(",", "", $1); got["total"] = $1 }
    {
      for (i = 2; i <= n; i++) {
        if (index($0, "???:" want[i] " ") || index($0, ":" want[i] " [")) { v = $1; gsub(",", "", v); if (v + 0 > got[want[i]]) got[want[i]] = v + 0 }
      }
    }
    END { for (i = 1; i <= n; i++) printf "%s ", got[want[i]]; print "" }'
}

declare -A per_insert  # case:part -> instructions per insert
for name in bare bare_fk rules; do
  log "profiling $name: $WARMUP and $((WARMUP + INSERTS)) inserts under callgrind"
  short=$(profile "$name" "$WARMUP")
  long=$(profile "$name" "$((WARMUP + INSERTS))")
  read -r -a a <<<"$(parts "$short")"
  read -r -a b <<<"$(parts "$long")"
  for i in "${!PARTS[@]}"; do
    per_insert[$name:${PARTS[$i]}]=$(( (b[i] - a[i]) / INSERTS ))
  done
done

label() {
  case $1 in
    total) echo "whole insert (statement, transaction, commit)" ;;
    ExecBRInsertTriggers) echo "  BEFORE INSERT trigger (call_events_rules)" ;;
    RI_FKey_check_ins) echo "  foreign-key check" ;;
    ExecWithCheckOptions) echo "  row-level security WITH CHECK" ;;
    ExecInsertIndexTuples) echo "  index maintenance (4 indexes)" ;;
    ExecConstraints) echo "  CHECK constraints" ;;
    heap_insert) echo "  heap insert" ;;
    CommitTransactionCommand) echo "  commit" ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0) ? "%.2f" : "-", a / b}'; }
row() { printf '%-48s %12s %12s %12s\n' "$@"; }

echo
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), single-user backend under callgrind; $TENANTS tenants,"
echo "$SESSIONS sessions, $((SESSIONS * PER_SESSION)) events; instructions per insert, averaged over $INSERTS prepared"
echo "inserts as business_app after $WARMUP warm-up inserts (the difference of two runs)."
echo
row "part" "bare" "bare + FK" "call_events"
for part in "${PARTS[@]}"; do
  row "$(label "$part")" "${per_insert[bare:$part]}" "${per_insert[bare_fk:$part]}" "${per_insert[rules:$part]}"
done
echo
row "call_events vs bare + the seed's FK" "" "" "$(ratio "${per_insert[rules:total]}" "${per_insert[bare_fk:total]}")x"
row "call_events vs bare" "" "" "$(ratio "${per_insert[rules:total]}" "${per_insert[bare:total]}")x"
