# Sourced, not run: the one way scripts derive "the same server, another
# database" from DATABASE_URL (as ConnectionSettings.withDatabase does).
#
#   source scripts/lib/database-url.sh
#   DEMO_URL=$(database_url pgmigrate_demo)
#
# A postgres:// or postgresql:// URL gets its path replaced (its ?query
# kept); a key=value conninfo string gets a trailing dbname= (the last value
# of a keyword wins). Fails (status 1) when DATABASE_URL is unset or empty.
database_url() {
  local name=$1 url=${DATABASE_URL:-}
  [[ -n "$url" ]] || { echo "database_url: DATABASE_URL is not set" >&2; return 1; }
  if [[ "$url" =~ ^postgres(ql)?:// ]]; then
    local base=${url%%\?*}
    local query=${url#"$base"}
    local rest=${base#*://}
    if [[ "$rest" == */* ]]; then
      echo "${base%/*}/$name$query"
    else
      echo "$base/$name$query"
    fi
  else
    echo "$url dbname=$name"
  fi
}
