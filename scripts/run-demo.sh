#!/usr/bin/env bash
# make run: start the project's PostgreSQL (left running for you), migrate, and show the migration status.
set -euo pipefail
cd "$(dirname "$0")/.."

url=$(scripts/pg-cluster.sh start run)
bin="$(swift build --show-bin-path)/crm-pipeline"
export DATABASE_URL="$url"

echo "==> PostgreSQL is running: DATABASE_URL=$url"
echo "==> crm-pipeline migrate"
"$bin" migrate
echo
echo "==> crm-pipeline migrate --status"
"$bin" migrate --status
echo
echo "The cluster keeps running: 'make psql' opens it, 'make stop' stops it."
echo "Try: DATABASE_URL='$url' $bin --help"
