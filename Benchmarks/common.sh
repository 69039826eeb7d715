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

# median VALUE…: the middle value (the upper middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# A database made once and kept between runs says what it holds in its comment, with the schema it was made at.
# base_label TEXT: TEXT and the current schema, as such a comment says it.
base_label() { echo "$1, schema $("$bin" migrate --status --database-url "$admin" 2>/dev/null | wc -l)"; }
# base_holds NAME LABEL: whether database NAME is there and says it holds LABEL.
base_holds() {
    [ "$(psql -X -q -At -d "$admin" -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$1'")" = "$2" ]
}
# base_kept NAME LABEL: marks database NAME as holding LABEL.
base_kept() { psql -X -q -d "$admin" -c "COMMENT ON DATABASE $1 IS '$2'" >/dev/null; }
