#!/usr/bin/env bash
# Runs the Citus suite (Tests/IntegrationTests/Citus: the call-feedback model
# from sql/citus/ on a real Citus 13 cluster) with CITUS_URL set.
#
# With CITUS_URL already set, runs the suite against that coordinator and
# nothing else. Otherwise finds the cluster script ($CITUS_CLUSTER_SCRIPT,
# else <repo>/../shared/citus/citus-cluster.sh, else
# /work/shared/citus/citus-cluster.sh), brings the cluster up (building Citus
# the first time, about 95 s), runs the suite and stops the cluster on exit,
# unless it was already running before (then it is left running).
#
# Without a cluster script the suite is skipped, except under CI=true, where
# that is a failure. Expects the test build (`swift build --build-tests`);
# scripts/test.sh runs this after the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."

run_suite() {
  CITUS_URL="$1" swift test --skip-build --filter CitusTests
}

if [[ -n "${CITUS_URL:-}" ]]; then
  run_suite "$CITUS_URL"
  exit
fi

source scripts/lib/citus-cluster.sh
if ! script=$(citus_cluster_script); then
  if [[ "${CI:-}" == true ]]; then
    echo "citus-test: no cluster script (set CITUS_CLUSTER_SCRIPT, or put citus-cluster.sh in ../shared/citus/); CI must run the Citus suite" >&2
    exit 1
  fi
  echo "skipped: the Citus suite (no citus-cluster.sh found; set CITUS_CLUSTER_SCRIPT or CITUS_URL)" >&2
  exit 0
fi

trap '[[ "${CITUS_STARTED:-0}" == 1 ]] && bash "$script" stop >&2 || true' EXIT
citus_cluster_up "$script"
run_suite "$(bash "$script" url)"
