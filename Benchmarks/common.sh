# Helpers shared by the benchmark scripts (sourced, not run). They expect $admin (the cluster's URL)
# and, for `fresh NAME migrated`, $bin (the crm-pipeline binary).

now() { date +%s.%N; }

# calc EXPRESSION [DECIMALS]: floating-point arithmetic (default 2 decimals).
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# fresh NAME [migrated]: drops and creates database NAME on the cluster, migrates it if asked,
# checkpoints, and prints its URL.
fresh() {
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    local url
    url=$(echo "$admin" | sed "s|/crm?|/$1?|")
    if [ "${2:-}" = migrated ]; then "$bin" migrate --database-url "$url" --log-level warning >/dev/null; fi
    psql -X -q -d "$url" -c CHECKPOINT >/dev/null
    echo "$url"
}
