#!/usr/bin/env bash
# The project's private PostgreSQL cluster, on a Unix socket in its own folder.
#
#   scripts/pg-cluster.sh start NAME   initdb if needed, start, create database "crm", print its URL
#   scripts/pg-cluster.sh stop NAME    stop the server (and delete the cluster if it was made with --ephemeral)
#   scripts/pg-cluster.sh restart NAME pg_ctl restart -m fast (fault tests: a server restarted mid-run;
#                                      PG_RESTART_MODE=immediate for a crash and its recovery)
#   scripts/pg-cluster.sh url NAME     print the URL of a running cluster
#   scripts/pg-cluster.sh remove NAME  stop the server and delete the cluster, wherever it was placed (make clean)
#
# NAME separates clusters (run, test, bench). PG_SETTINGS adds server settings at start
# ("shared_preload_libraries=citus max_connections=300"). With --ephemeral, start makes a fresh cluster tuned for tests
# (fsync off) that stop deletes. As root, the server runs as the postgres user (PostgreSQL refuses root);
# when postgres cannot reach the checkout, or the socket path would be too long, the cluster lives in a
# fresh mktemp -d folder owned by postgres instead of .pgcluster/NAME.
set -euo pipefail

usage="usage: pg-cluster.sh start|stop|restart|url|remove NAME [--ephemeral]"
command=${1:?$usage}
name=${2:?$usage}
ephemeral=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
pointer="$root/.pgcluster/$name.location"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "error: no PostgreSQL server found under /usr/lib/postgresql (run scripts/ensure-deps.sh)" >&2; exit 1; }

# The server must not inherit the caller's descriptors: a daemonized postmaster holding a test harness's
# pipe or its process-exit socket (Foundation's Process watches one) keeps the caller waiting forever.
close_inherited_descriptors() {
    local entry fd
    for entry in /proc/$$/fd/*; do
        fd=${entry##*/}
        # 0-2 are ours to keep; bash reads this script through 255.
        if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}
close_inherited_descriptors

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

choose_folder() {
    local folder="$root/.pgcluster/$name"
    local reachable=yes
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$root"; then reachable=no; fi
    if [ "$reachable" = no ] || [ ${#folder} -gt 80 ]; then
        folder=$(mktemp -d "/tmp/crm-pipeline-$name.XXXXXX")
    fi
    mkdir -p "$folder"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$folder"
    chmod 700 "$folder"
    echo "$folder"
}

free_port() {
    local port
    for port in $(seq 55432 55532); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$port" ]; then
            echo "$port"
            return
        fi
    done
    echo "error: no free TCP port in 55432-55532" >&2
    exit 1
}

url_of() {
    local folder=$1
    echo "postgresql://postgres@/crm?host=$folder/socket&port=$(cat "$folder/port")"
}

is_running() {
    local folder=$1
    [ -f "$folder/data/PG_VERSION" ] && as_server_user "$bindir/pg_ctl" -D "$folder/data" status >/dev/null 2>&1
}

start() {
    mkdir -p "$root/.pgcluster"
    if [ -f "$pointer" ] && is_running "$(cat "$pointer")"; then
        url_of "$(cat "$pointer")"
        return
    fi
    local folder
    if [ -f "$pointer" ] && [ -d "$(cat "$pointer")" ] && [ -z "$ephemeral" ]; then
        folder=$(cat "$pointer")
    else
        folder=$(choose_folder)
        echo "$folder" >"$pointer"
    fi
    if [ -n "$ephemeral" ]; then touch "$folder/ephemeral"; fi
    if [ ! -f "$folder/data/PG_VERSION" ]; then
        as_server_user mkdir -p "$folder/data" "$folder/socket"
        as_server_user "$bindir/initdb" -D "$folder/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 \
            || { cat "$folder/initdb.log" >&2; exit 1; }
    fi
    local port
    port=$(free_port)
    echo "$port" >"$folder/port"
    local settings=(-c "port=$port" -c "unix_socket_directories=$folder/socket" -c "listen_addresses=127.0.0.1")
    local setting
    for setting in ${PG_SETTINGS:-}; do settings+=(-c "$setting"); done
    if [ -f "$folder/ephemeral" ]; then
        # Test clusters are thrown away: durability buys nothing there.
        settings+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200)
    fi
    as_server_user "$bindir/pg_ctl" -D "$folder/data" -l "$folder/data/server.log" -w -t 60 \
        -o "$(printf '%q ' "${settings[@]}")" start >/dev/null \
        || { tail -n 20 "$folder/data/server.log" >&2; exit 1; }
    "$bindir/psql" -X -q -h "$folder/socket" -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'crm'" | grep -q 1 \
        || "$bindir/psql" -X -q -h "$folder/socket" -p "$port" -U postgres -d postgres -c "CREATE DATABASE crm"
    url_of "$folder"
}

# stop [remove]: stops the server; deletes the cluster when it is ephemeral, or when asked to.
stop() {
    [ -f "$pointer" ] || return 0
    local folder
    folder=$(cat "$pointer")
    if is_running "$folder"; then
        as_server_user "$bindir/pg_ctl" -D "$folder/data" -m fast -w stop >/dev/null
    fi
    if [ -f "$folder/ephemeral" ] || [ "${1:-}" = remove ]; then
        rm -rf "$folder"
        rm -f "$pointer"
    fi
}

restart() {
    local folder
    folder=$(cat "$pointer")
    # -l keeps the new server's output out of this script's stdout: a caller reading it would never see EOF.
    as_server_user "$bindir/pg_ctl" -D "$folder/data" -l "$folder/data/server.log" -m "${PG_RESTART_MODE:-fast}" -w -t 60 restart >/dev/null
}

case "$command" in
    start) start ;;
    stop) stop ;;
    restart) restart ;;
    remove) stop remove ;;
    url) [ -f "$pointer" ] && is_running "$(cat "$pointer")" && url_of "$(cat "$pointer")" \
        || { echo "error: cluster $name is not running (make run starts it)" >&2; exit 1; } ;;
    *) echo "$usage" >&2; exit 64 ;;
esac
