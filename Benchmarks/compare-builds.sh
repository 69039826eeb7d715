#!/usr/bin/env bash
# make bench-compare REV=<commit>: the same nightly import and --force re-import by the release build of
# REV and of the working tree, interleaved ROUNDS times on one cluster, so that a refactoring or an
# optimisation is judged against the code before it under the same noise.
#   Benchmarks/compare-builds.sh REV [USERS] [ROUNDS]   (defaults: 140000 users ≈ 1M rows, 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: Benchmarks/compare-builds.sh REV [USERS] [ROUNDS]}
users=${2:-140000}
rounds=${3:-3}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/before" "$rev"
(cd "$work/before" && swift build -c release --product crm-pipeline >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
swift build -c release --product crm-pipeline >/dev/null
before="$work/before/.build/release/crm-pipeline"
after="$(swift build -c release --show-bin-path)/crm-pipeline"
admin=$(scripts/pg-cluster.sh start "${BENCH_CLUSTER:-bench}")
. Benchmarks/common.sh
"$after" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261125 --out "$work/data" >/dev/null
import() { "$1" import "$work/data" --database-url "$2" --reject-file "$work/rejects.jsonl" --log-level warning "${@:3}" >/dev/null; }
echo "| round | build | nightly s | re-import s |"
echo "|---|---|---|---|"
for round in $(seq "$rounds"); do
    for build in before after; do
        bin=${!build}
        db=$(fresh "bench_compare_$build" migrated)
        start=$(now); import "$bin" "$db"; nightly=$(calc "$(now) - $start")
        start=$(now); import "$bin" "$db" --force; reimport=$(calc "$(now) - $start")
        echo "| $round | $build ($([ "$build" = before ] && echo "$rev" || echo "working tree")) | $nightly | $reimport |"
    done
done
