#!/usr/bin/env bash
# Builds pgmigrate's release packages into dist/ (gitignored):
#
#   dist/pgmigrate-VERSION-linux-ARCH.tar.gz   pgmigrate (stripped, Swift runtime inside),
#                                              LICENSE, INSTALL, completions/, man/, sql/
#   dist/pgmigrate_VERSION_DEBARCH.deb         the same under /usr, built with dpkg-deb;
#                                              Depends as dpkg-shlibdeps reads them off the binary
#   dist/SHA256SUMS
#
# VERSION is PGMIGRATE_VERSION when set, else derived from git (see derive_version)
# from PGMigrateVersion.release in Sources/PGMigrateKit/Version.swift, and built
# into the binary, so `pgmigrate --version`, the ledger's pgmigrate_version, the
# package version and the file names agree.
#
# Needs Swift 6, libpq-dev, libssl-dev, pkg-config and dpkg-dev; run as root on
# Debian/Ubuntu it installs the missing ones with apt-get. The Dockerfile runs
# this script in its builder stage. scripts/package-check.sh installs and runs
# the .deb (CI does, from scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf 'package: %s\n' "$*" >&2; }
die() { printf 'package: %s\n' "$*" >&2; exit 1; }

SCRATCH=${PGMIGRATE_PACKAGE_SCRATCH:-$ROOT/.build-package}   # its own, so it never rebuilds .build
DIST=$ROOT/dist
VERSION_FILE=Sources/PGMigrateKit/Version.swift

# --- tools -------------------------------------------------------------------
ensure_tools() {
  local missing=()
  pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
  pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  command -v dpkg-shlibdeps >/dev/null 2>&1 || missing+=(dpkg-dev)
  command -v strip >/dev/null 2>&1 || missing+=(binutils)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ -f /etc/debian_version && $(id -u) -eq 0 ]]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
    return 0
  fi
  die "missing ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
}
ensure_tools
command -v swift >/dev/null 2>&1 || die "swift not found: building the packages needs a Swift 6 toolchain"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found: the .deb is built with dpkg's tools"

# --- the version ---------------------------------------------------------------
RELEASE=$(sed -n 's/^ *public static let release = "\([^"]*\)".*/\1/p' "$VERSION_FILE")
[[ "$RELEASE" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read PGMigrateVersion.release from $VERSION_FILE"

# RELEASE at the tag vRELEASE with a clean tree; otherwise RELEASE+N.gSHA with N
# the commits since the last v-tag (since the first commit without one), and
# .dirty when tracked files have uncommitted changes. Valid as a Debian version
# and sorting after RELEASE.
derive_version() {
  if ! git -C "$ROOT" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    echo "$RELEASE"   # a source tree without git history: the constant alone
    return
  fi
  local dirty="" desc tag count sha
  git -C "$ROOT" update-index -q --refresh >/dev/null 2>&1 || true
  git -C "$ROOT" diff-index --quiet HEAD -- || dirty=.dirty
  sha=$(git -C "$ROOT" rev-parse --short=12 HEAD)
  if desc=$(git -C "$ROOT" describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
    tag=${desc%-*-g*}
    count=${desc#"$tag"-}; count=${count%%-*}
    if [[ $count == 0 && ${tag#v} != "$RELEASE" ]]; then
      die "HEAD is tagged $tag but PGMigrateVersion.release is $RELEASE: make $VERSION_FILE say ${tag#v}"
    fi
  else
    count=$(( $(git -C "$ROOT" rev-list --count HEAD) - 1 ))
    tag=""
  fi
  if [[ -n $tag && $count == 0 && -z $dirty ]]; then
    echo "$RELEASE"
  else
    echo "$RELEASE+$count.g$sha$dirty"
  fi
}
VERSION=${PGMIGRATE_VERSION:-$(derive_version)}
[[ "$VERSION" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] \
  || die "version '$VERSION' must start with a digit and hold only letters, digits, '.', '+' and '~' (a Debian version without a revision)"

# Timestamps inside the packages: the commit's, so two builds of one commit match.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
DEB_ARCH=$(dpkg --print-architecture)
ARCH=$(uname -m)
log "version $VERSION (release $RELEASE), linux-$ARCH / $DEB_ARCH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgmigrate-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Runs a build quietly: on failure its log's end, on success our own warnings.
quiet_build() {
  local what=$1; shift
  if ! swift build "$@" >"$WORK/build.log" 2>&1; then
    grep -Ev '^\[[0-9]+/[0-9]+\]' "$WORK/build.log" | tail -n 40 >&2
    die "$what failed (above)"
  fi
  grep -E "^$ROOT/(Sources|Tests)/.*: warning:" "$WORK/build.log" >&2 || true
}

# --- the binary -------------------------------------------------------------------
# --static-swift-stdlib: the Swift runtime and Foundation go inside the binary, so
# it needs only the system's libpq, libcrypto and C/C++ runtime.
# --disable-local-rpath: no $ORIGIN runpath in a binary installed to /usr/bin.
build_flags=(-c release --static-swift-stdlib --disable-local-rpath --scratch-path "$SCRATCH"
  -Xcc "-DPGMIGRATE_INJECTED_VERSION=\"$VERSION\"")
log "swift build ${build_flags[*]} --product pgmigrate"
start=$SECONDS
quiet_build "the release build" "${build_flags[@]}" --product pgmigrate
BIN="$(swift build "${build_flags[@]}" --show-bin-path)/pgmigrate"
[[ -x "$BIN" ]] || die "no binary at $BIN"
log "release build: $(( SECONDS - start )) s"

built_version=$("$BIN" --version) || die "the built binary does not run"
[[ "$built_version" == "$VERSION" ]] || die "the binary says $built_version, expected $VERSION"

# Only the system's libraries, all found, none from the Swift toolchain.
deps=$(ldd "$BIN") || die "ldd failed on $BIN"
if grep -q 'not found' <<<"$deps"; then die "unresolved libraries: $(grep 'not found' <<<"$deps" | tr -s ' \t\n' ' ')"; fi
if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|/swift/' <<<"$deps"; then
  die "the binary links Swift runtime libraries: $(grep -E 'swift|Foundation|dispatch' <<<"$deps" | tr -s ' \t\n' ' ')"
fi

STRIPPED=$WORK/pgmigrate
strip --strip-all -o "$STRIPPED" "$BIN"
"$STRIPPED" --version >/dev/null || die "the stripped binary does not run"

# --- completions and the man page --------------------------------------------------
mkdir -p "$WORK/completions" "$WORK/man"
"$STRIPPED" --generate-completion-script bash >"$WORK/completions/pgmigrate.bash"
"$STRIPPED" --generate-completion-script zsh >"$WORK/completions/_pgmigrate"
"$STRIPPED" --generate-completion-script fish >"$WORK/completions/pgmigrate.fish"

# swift-argument-parser's own generate-manual tool (what its plugin runs), built
# from the checkout the release build resolved; it reads --experimental-dump-help.
AP_CHECKOUT=$SCRATCH/checkouts/swift-argument-parser
[[ -f "$AP_CHECKOUT/Tools/generate-manual/GenerateManual.swift" ]] \
  || die "no generate-manual tool in $AP_CHECKOUT (swift-argument-parser without Tools/generate-manual?)"
log "building swift-argument-parser's generate-manual"
start=$SECONDS
quiet_build "building generate-manual" --package-path "$AP_CHECKOUT" --scratch-path "$SCRATCH/generate-manual" \
  --product generate-manual
GEN_MANUAL="$(swift build --package-path "$AP_CHECKOUT" --scratch-path "$SCRATCH/generate-manual" --show-bin-path)/generate-manual"
"$GEN_MANUAL" "$STRIPPED" --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" --output-directory "$WORK/man" >&2 \
  || die "generate-manual failed"
[[ -s "$WORK/man/pgmigrate.1" ]] || die "generate-manual wrote no pgmigrate.1"
sed -i 's/^$/.Pp/' "$WORK"/man/*.1   # mdoc wants .Pp, not blank lines, between paragraphs
log "man page: $(( SECONDS - start )) s"

# --- documents ------------------------------------------------------------------------
# The README for users: every section but the ones about developing pgmigrate.
awk '
  /^```/ { fence = !fence }
  !fence && /^## / { skip = ($0 == "## The two commands" || $0 == "## Packaging" || $0 == "## Layout" || $0 == "## PQClient in brief") }
  !skip { print }
' README.md >"$WORK/README.md"

cat >"$WORK/INSTALL" <<EOF
pgmigrate $VERSION for Linux $ARCH

pgmigrate carries the Swift runtime inside it: no Swift toolchain is needed.
It needs from the system glibc 2.35 or newer, libstdc++ (GCC 12 or newer),
libpq (PostgreSQL's client library) and OpenSSL 3's libcrypto:

  Debian 12, Ubuntu 22.04 and newer:  sudo apt-get install libpq5 libssl3
  Fedora, RHEL 9 and alikes:          sudo dnf install libpq openssl-libs

Install (or copy pgmigrate anywhere on your PATH):

  sudo install -m 0755 pgmigrate /usr/local/bin/pgmigrate
  sudo install -m 0644 man/pgmigrate.1 /usr/local/share/man/man1/pgmigrate.1
  bash: sudo install -m 0644 completions/pgmigrate.bash /usr/share/bash-completion/completions/pgmigrate
  zsh:  copy completions/_pgmigrate into a directory on your \$fpath
  fish: cp completions/pgmigrate.fish ~/.config/fish/completions/

sql/ holds the migrations of this release's schema:

  export DATABASE_URL=postgres://user:password@host:5432/dbname
  pgmigrate ping
  pgmigrate migrate --dir sql
  pgmigrate status --dir sql
  pgmigrate drift

On Debian and Ubuntu the .deb of the same release installs all of this (the
migrations under /usr/share/pgmigrate/sql) and pulls in the libraries.
pgmigrate --help and man pgmigrate tell the rest.
EOF

YEAR=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
cat >"$WORK/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pgmigrate
Comment: /usr/bin/pgmigrate holds, linked statically, the Swift standard
 library, Foundation and swift-argument-parser (Copyright 2014-$YEAR Apple Inc.
 and the Swift project authors; Apache-2.0 with the Swift Runtime Library
 Exception, https://swift.org/LICENSE.txt) and the ICU data inside Foundation
 (Copyright Unicode, Inc.; Unicode License v3,
 https://www.unicode.org/license.txt). It links dynamically the system's libpq,
 libcrypto and C/C++ runtime, which come with their own packages.

Files: *
Copyright: $YEAR The pgmigrate authors
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License");
 you may not use this file except in compliance with the License.
 You may obtain a copy of the License at
 .
     http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and
 limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in "/usr/share/common-licenses/Apache-2.0".
EOF

# --- the .deb -------------------------------------------------------------------------
PKG=$WORK/debian/pgmigrate   # dpkg-shlibdeps expects debian/PACKAGE/ around the binary
install -D -m 0755 "$STRIPPED" "$PKG/usr/bin/pgmigrate"
install -D -m 0644 "$WORK/completions/pgmigrate.bash" "$PKG/usr/share/bash-completion/completions/pgmigrate"
install -D -m 0644 "$WORK/completions/_pgmigrate" "$PKG/usr/share/zsh/vendor-completions/_pgmigrate"
install -D -m 0644 "$WORK/completions/pgmigrate.fish" "$PKG/usr/share/fish/vendor_completions.d/pgmigrate.fish"
for page in "$WORK"/man/*.1; do
  install -D -m 0644 "$page" "$PKG/usr/share/man/man1/$(basename "$page")"
  gzip -9n "$PKG/usr/share/man/man1/$(basename "$page")"
done
install -D -m 0644 "$WORK/copyright" "$PKG/usr/share/doc/pgmigrate/copyright"
install -D -m 0644 "$WORK/README.md" "$PKG/usr/share/doc/pgmigrate/README.md"
gzip -9n "$PKG/usr/share/doc/pgmigrate/README.md"
mkdir -p "$PKG/usr/share/pgmigrate/sql"
install -m 0644 sql/*.sql "$PKG/usr/share/pgmigrate/sql/"

mkdir -p "$PKG/DEBIAN"
printf 'Source: pgmigrate\n\nPackage: pgmigrate\nArchitecture: any\n' >"$WORK/debian/control"
shlibs=$(cd "$WORK" && dpkg-shlibdeps -O -e debian/pgmigrate/usr/bin/pgmigrate 2>"$WORK/shlibdeps.log") \
  || { cat "$WORK/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
DEPENDS=${shlibs#shlibs:Depends=}
[[ "$DEPENDS" == *libpq5* ]] || die "dpkg-shlibdeps did not find libpq5 ($DEPENDS)"
log "Depends: $DEPENDS"

cat >"$PKG/DEBIAN/control" <<EOF
Package: pgmigrate
Version: $VERSION
Architecture: $DEB_ARCH
Maintainer: ${PGMIGRATE_MAINTAINER:-pgmigrate maintainers <maintainers@pgmigrate.invalid>}
Installed-Size: $(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
Depends: $DEPENDS
Section: database
Priority: optional
Description: PostgreSQL-native schema toolkit and migrator
 pgmigrate applies versioned SQL migrations with an advisory lock and a
 ledger, checks a live schema for drift against its model, and runs
 retention purges and GDPR erasure, all through libpq.
 .
 The migrations of this release's schema are in /usr/share/pgmigrate/sql.
EOF
(cd "$PKG" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$PKG/DEBIAN/md5sums"
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -rf "$DIST"/pgmigrate-*.tar.gz "$DIST"/pgmigrate_*.deb "$DIST/SHA256SUMS"
mkdir -p "$DIST"
DEB=pgmigrate_${VERSION}_${DEB_ARCH}.deb
# xz takes most of the packaging time: it runs beside the tarball's gzip.
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DIST/$DEB" >/dev/null &
deb_pid=$!

# --- the tarball ------------------------------------------------------------------------
NAME=pgmigrate-$VERSION-linux-$ARCH
T=$WORK/$NAME
mkdir -p "$T/sql"
install -m 0755 "$STRIPPED" "$T/pgmigrate"
install -m 0644 LICENSE "$WORK/INSTALL" "$T/"
cp -r "$WORK/completions" "$WORK/man" "$T/"
install -m 0644 sql/*.sql "$T/sql/"
chmod -R u+rwX,go+rX,go-w "$T"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$WORK" -cf - "$NAME" | gzip -n >"$DIST/$NAME.tar.gz"
wait "$deb_pid" || die "dpkg-deb failed"

(cd "$DIST" && sha256sum "$DEB" "$NAME.tar.gz" >SHA256SUMS)
for f in "$DIST/$NAME.tar.gz" "$DIST/$DEB"; do
  printf '%s\t%s\n' "$(du -h --apparent-size "$f" | cut -f1)" "${f#"$ROOT"/}"
done
printf '%s\tbinary (stripped; %s unstripped)\n' "$(du -h --apparent-size "$STRIPPED" | cut -f1)" \
  "$(du -h --apparent-size "$BIN" | cut -f1)"
