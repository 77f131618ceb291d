# Sourced. citus_cluster_script prints the path of citus-cluster.sh:
# $CITUS_CLUSTER_SCRIPT, else <repo>/../shared/citus/citus-cluster.sh, else
# /work/shared/citus/citus-cluster.sh; returns 1 when none exists.
citus_cluster_script() {
  local repo candidate
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  for candidate in "${CITUS_CLUSTER_SCRIPT:-}" "$repo/../shared/citus/citus-cluster.sh" /work/shared/citus/citus-cluster.sh; do
    if [[ -n "$candidate" && -f "$candidate" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# citus_cluster_up SCRIPT: brings the cluster up unless its coordinator
# already answers; sets CITUS_STARTED=1 when it started it (stop it then).
citus_cluster_up() {
  local url
  url=$(bash "$1" url)
  CITUS_STARTED=0
  if psql "$url" -X -q -c 'SELECT 1' >/dev/null 2>&1; then
    echo "citus: using the running cluster at $url (left running)" >&2
  else
    CITUS_STARTED=1
    bash "$1" up >&2
  fi
}
