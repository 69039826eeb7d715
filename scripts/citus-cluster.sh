#!/usr/bin/env bash
# A two-node Citus cluster on this machine, for `make test-citus`: a coordinator and one worker, each a
# private cluster made by pg-cluster.sh (throw-away, sockets in their folders, 127.0.0.1 for the nodes'
# own connections), with Citus preloaded, the extension created in database "crm" on both, and the
# worker added to the coordinator. Both nodes hold shards: a user's rows are on one node or the other,
# so a trigger or query that would need another node's shard fails here as it would with many workers
# (a coordinator without shards would put every shard on the one worker and hide that).
#
#   scripts/citus-cluster.sh start   prints the coordinator's URL, then the worker's
#   scripts/citus-cluster.sh stop
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cluster="$root/scripts/pg-cluster.sh"
export PG_SETTINGS="shared_preload_libraries=citus max_connections=300"

port_of() { sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$1"; }

case "${1:-}" in
    start)
        coordinator=$("$cluster" start citus-coordinator --ephemeral)
        worker=$("$cluster" start citus-worker --ephemeral)
        psql -X -q -v ON_ERROR_STOP=1 "$worker" -c "CREATE EXTENSION IF NOT EXISTS citus" >/dev/null
        psql -X -q -v ON_ERROR_STOP=1 "$coordinator" >/dev/null <<SQL
CREATE EXTENSION IF NOT EXISTS citus;
SELECT citus_set_coordinator_host('127.0.0.1', $(port_of "$coordinator"));
SELECT citus_add_node('127.0.0.1', $(port_of "$worker"));
SELECT citus_set_node_property('127.0.0.1', $(port_of "$coordinator"), 'shouldhaveshards', true);
SQL
        echo "$coordinator"
        echo "$worker"
        ;;
    stop)
        "$cluster" stop citus-worker
        "$cluster" stop citus-coordinator
        ;;
    *) echo "usage: citus-cluster.sh start|stop" >&2; exit 64 ;;
esac
