#!/usr/bin/env bash
# Benchmark (on demand): a clean release build of two commits, each in a
# temporary clone (dependencies resolved first, outside the timing), to show
# what replacing swift-crypto with the system's libcrypto did to build time.
#
#   benchmarks/build-time.sh [BEFORE_SHA] [AFTER_SHA]   (default aad1fb4 e69ba4d)
#
# Prints wall time and the CPU time (user + system) of `swift build -c release`
# and the load average before each build: CPU time is the number to compare
# on a shared machine, wall time depends on what else runs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BEFORE=${1:-aad1fb4}
AFTER=${2:-e69ba4d}
echo "| commit | what | load before | wall s | CPU s (user+sys) |"
echo "| --- | --- | --- | --- | --- |"
for sha in "$BEFORE" "$AFTER"; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pgm-build-$sha.XXXXXX")
  git clone -q "$REPO" "$dir"
  git -C "$dir" checkout -q "$sha"
  (cd "$dir" && swift package resolve >/dev/null 2>&1)
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -o "$dir.time" -f "%e %U %S" swift build -c release --package-path "$dir" --product pgmigrate >/dev/null 2>&1
  read -r wall user sys <"$dir.time"
  what=$(git -C "$dir" log -1 --format=%s "$sha" | cut -c1-60)
  awk -v c="$sha" -v w="$what" -v l="$load" -v e="$wall" -v u="$user" -v s="$sys" \
    'BEGIN { printf "| %s | %s… | %s | %.0f | %.0f |\n", c, w, l, e, u + s }'
  rm -rf "$dir" "$dir.time"
done
