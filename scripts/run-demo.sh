#!/usr/bin/env bash
# make run: start the project's PostgreSQL (left running for you), migrate, import samples/ and a generated
# year of data, print the reports. Any step that fails stops it with that step's exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

url=$(scripts/pg-cluster.sh start run)
bin="$(swift build --show-bin-path)/crm-pipeline"
export DATABASE_URL="$url"
step() {  # step COMMAND…: echo it, run it
    echo
    echo "==> crm-pipeline $*"
    "$bin" "$@"
}

echo "==> PostgreSQL is running: DATABASE_URL=$url"
step migrate
step migrate --status

out=.demo
mkdir -p "$out"
import_sample() {  # import_sample NAME PATH [options…]: rejected rows are expected, a failed import is not
    local name=$1 path=$2
    shift 2
    step import "$path" --reject-file "$out/$name.rejects.jsonl" "$@"
    if [ -s "$out/$name.rejects.jsonl" ]; then
        echo "--- first rejects ($out/$name.rejects.jsonl):"
        head -n 3 "$out/$name.rejects.jsonl"
    fi
}
import_sample native-csv samples/csv
import_sample native-xml samples/xml
import_sample hubspot samples/hubspot --mapping pipelines/mappings/hubspot-contacts.yml
import_sample salesforce samples/salesforce --mapping pipelines/mappings/salesforce-contacts.yml
# Exports as CRMs and operators hand them out (made by `generate`, see samples/README.md): a Salesforce
# Data Export zip (Contact.csv is read, Account.csv skipped), a HubSpot XLSX workbook, gzipped CSV files.
import_sample salesforce-export samples/salesforce-export --mapping pipelines/mappings/salesforce-contacts.yml
import_sample hubspot-xlsx samples/hubspot-xlsx --mapping pipelines/mappings/hubspot-contacts.yml
import_sample compressed samples/compressed

# The samples are from May 2024 (a report covers the last complete month unless told otherwise).
step report summary --month 2024-05
step report users --month 2024-05 --top 20

# A generated year (2025, the same bytes every time: a second make run skips it as already imported),
# so that the monthly charts have something to show.
step generate --users 2000 --months 12 --seed 2025 --out "$out/generated-2025"
import_sample generated-2025 "$out/generated-2025"
step report summary --month 2025-12 --format html --output "$out/summary-2025.html"
step verify
echo
echo "The HTML report of 2025: $(pwd)/$out/summary-2025.html"
echo
echo "The cluster keeps running: 'make psql' opens it, 'make stop' stops it, 'make clean' removes it."
echo "Try: DATABASE_URL='$url' $bin --help"
