#!/usr/bin/env bash
# make run: start the project's PostgreSQL (left running for you), migrate, import samples/, print the reports.
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

out=.demo
mkdir -p "$out"
import_sample() {  # import_sample NAME PATH [options…]
    local name=$1 path=$2
    shift 2
    echo
    echo "==> crm-pipeline import $path $*"
    "$bin" import "$path" --reject-file "$out/$name.rejects.jsonl" "$@" || echo "(exit code $?)"
    if [ -s "$out/$name.rejects.jsonl" ]; then
        echo "--- first rejects ($out/$name.rejects.jsonl):"
        head -n 3 "$out/$name.rejects.jsonl"
    fi
}
import_sample native-csv samples/csv
import_sample native-xml samples/xml
import_sample hubspot samples/hubspot --mapping pipelines/mappings/hubspot-contacts.yml
import_sample salesforce samples/salesforce --mapping pipelines/mappings/salesforce-contacts.yml

# The samples are from May 2024; by default a report covers the last complete month.
echo
echo "==> crm-pipeline report summary --month 2024-05"
"$bin" report summary --month 2024-05
echo "==> crm-pipeline report users --month 2024-05"
"$bin" report users --month 2024-05
"$bin" report summary --month 2024-05 --format html --output "$out/summary-2024-05.html" >/dev/null
echo "==> crm-pipeline verify"
"$bin" verify || true
echo
echo "The HTML report: $(pwd)/$out/summary-2024-05.html"
echo
echo "The cluster keeps running: 'make psql' opens it, 'make stop' stops it."
echo "Try: DATABASE_URL='$url' $bin --help"
