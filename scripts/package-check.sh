#!/usr/bin/env bash
# Proves the .deb works where no Swift toolchain is: builds it with
# scripts/package.sh, installs it with apt-get, runs the installed
# /usr/bin/pgmigrate with a bare environment (PATH=/usr/bin:/bin, no
# LD_LIBRARY_PATH, the toolchain not on PATH): --version, ping, migrate,
# status, drift on a database of its own (pgmigrate_package) on the server
# DATABASE_URL names, then purges the package and drops the database.
#
# Needs root (apt-get and dpkg) and DATABASE_URL as a postgres:// URL;
# scripts/test.sh runs it against its throwaway server. Leaves nothing behind
# but dist/ and the build folder .build-package/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf 'package-check: %s\n' "$*" >&2; }
die() { printf 'package-check: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root: it installs the .deb with apt-get"
[[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]] || die "needs DATABASE_URL as a postgres:// URL (scripts/test.sh sets one)"
if dpkg-query -W -f='${Status}' pgmigrate 2>/dev/null | grep -q ' installed$'; then
  die "the pgmigrate package is installed already, and this check ends by purging the one it installs: remove it first (apt-get purge pgmigrate)"
fi
if [[ -e /usr/bin/pgmigrate ]]; then
  die "/usr/bin/pgmigrate exists and belongs to no package: not overwriting it"
fi

start=$SECONDS
scripts/package.sh
build_s=$(( SECONDS - start ))

shopt -s nullglob
debs=(dist/pgmigrate_*.deb)
[[ ${#debs[@]} -eq 1 ]] || die "expected one dist/pgmigrate_*.deb, found ${#debs[@]}"
DEB=${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)

base=${DATABASE_URL%%\?*}
query=${DATABASE_URL#"$base"}
PKG_URL="${base%/*}/pgmigrate_package$query"
drop_db() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS pgmigrate_package"; }
OUT=""
cleanup() {
  local status=$?
  trap - EXIT
  [[ -n $OUT ]] && rm -rf "$OUT"
  if dpkg -s pgmigrate >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y pgmigrate >/dev/null 2>&1 || log "could not purge pgmigrate"
  fi
  drop_db || true
  exit "$status"
}
trap cleanup EXIT
drop_db
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE pgmigrate_package"

log "apt-get install ./$DEB"
install_deb() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "./$DEB" >"$ROOT/dist/apt.log" 2>&1; }
# apt resolves libpq5 and libssl3 from its lists; refresh them once if they are stale.
install_deb || { apt-get update >/dev/null 2>&1 || true; install_deb; } || { cat dist/apt.log >&2; die "apt-get install failed"; }
rm -f dist/apt.log
[[ $(dpkg-query -W -f='${Status} ${Version}' pgmigrate) == "install ok installed $VERSION" ]] \
  || die "dpkg does not list pgmigrate $VERSION as installed"
for f in /usr/bin/pgmigrate /usr/share/man/man1/pgmigrate.1.gz /usr/share/doc/pgmigrate/copyright \
  /usr/share/doc/pgmigrate/README.md.gz /usr/share/bash-completion/completions/pgmigrate \
  /usr/share/zsh/vendor-completions/_pgmigrate /usr/share/fish/vendor_completions.d/pgmigrate.fish; do
  [[ -s $f ]] || die "the package did not install $f"
done
compgen -G '/usr/share/pgmigrate/sql/*.sql' >/dev/null || die "the package did not install /usr/share/pgmigrate/sql/*.sql"

# The bare environment an installed command gets on a host without Swift.
bare() { env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 DATABASE_URL="$PKG_URL" "$@"; }
if bare sh -c 'command -v swift' >/dev/null; then die "swift is on the bare PATH (/usr/bin:/bin): the check would prove nothing"; fi
deps=$(ldd /usr/bin/pgmigrate)
if grep -Eq 'not found|swift' <<<"$deps"; then die "/usr/bin/pgmigrate needs libraries apt did not bring: $(tr -s ' \t\n' ' ' <<<"$deps")"; fi
readelf -d /usr/bin/pgmigrate | grep -Eq 'R(UN)?PATH' && die "/usr/bin/pgmigrate carries an rpath"

OUT=$(mktemp -d "${TMPDIR:-/tmp}/pgmigrate-package-check.XXXXXX")
run() {  # run NAME EXPECTED_STATUS pgmigrate ARGS...: runs it from an empty folder, keeps its output
  local name=$1 expected=$2 status=0; shift 2
  (cd "$OUT" && bare "$@") >"$OUT/$name.out" 2>"$OUT/$name.err" || status=$?
  if [[ $status -ne $expected ]]; then
    cat "$OUT/$name.out" "$OUT/$name.err" >&2
    die "$* exited $status, expected $expected (output above)"
  fi
  log "ok: $* ($(head -c 160 "$OUT/$name.out" | tr '\n' ' '))"
}
SQL=/usr/share/pgmigrate/sql
run version 0 /usr/bin/pgmigrate --version
[[ $(cat "$OUT/version.out") == "$VERSION" ]] || die "pgmigrate --version says $(cat "$OUT/version.out"), the package $VERSION"
run ping 0 /usr/bin/pgmigrate ping
run migrate 0 /usr/bin/pgmigrate migrate --dir "$SQL"
run status 0 /usr/bin/pgmigrate status --dir "$SQL" --json
grep -q '"applied"' "$OUT/status.out" || die "status --json lists nothing applied: $(cat "$OUT/status.out")"
run migrate-again 0 /usr/bin/pgmigrate migrate --dir "$SQL"
run drift 0 /usr/bin/pgmigrate drift
recorded=$(psql "$PKG_URL" -X -A -t -c "SELECT string_agg(DISTINCT pgmigrate_version, ',') FROM pgmigrate.schema_migrations")
[[ "$recorded" == "$VERSION" ]] || die "the ledger's pgmigrate_version is '$recorded', the package's $VERSION"
log "ok: the ledger records pgmigrate_version $recorded"
run bad-url 64 /usr/bin/pgmigrate ping --database-url 'mysql://host/db'
bare bash -c 'source /usr/share/bash-completion/completions/pgmigrate && complete -p pgmigrate' >/dev/null \
  || die "the bash completion does not load"

log "apt-get purge pgmigrate"
DEBIAN_FRONTEND=noninteractive apt-get purge -y pgmigrate >/dev/null 2>&1 || die "apt-get purge pgmigrate failed"
[[ ! -e /usr/bin/pgmigrate && ! -e /usr/share/pgmigrate ]] || die "purging pgmigrate left files behind"
log "the package installs, runs without Swift and purges cleanly (package.sh ${build_s} s, check $(( SECONDS - start - build_s )) s)"
