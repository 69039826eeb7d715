#!/usr/bin/env bash
# Account linking against a large auth.users (issue 14), on a Supabase-shaped database built from
# ../shared/vendor/supabase: imports USERS new CRM users into a database whose auth.users holds no account,
# then into one holding AUTH accounts (half of the CRM users' emails among them), RUNS times each,
# interleaved; prints the medians, their ratio (the goal: at most 1.2×), and the account lookup of the
# users merge in its old form (lower(a.email) = …, which no Supabase index serves) beside the new one.
#   Benchmarks/auth-users.sh [USERS] [AUTH] [RUNS]   (defaults: 2000 200000 5)
# Prints Markdown (make bench adds it to BENCHMARKS.md). BENCH_QUICK=1 uses the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-2000}
accounts=${2:-200000}
runs=${3:-5}
shared=${CRM_SHARED_DIR:-$(cd .. && pwd)/shared}
build="$shared/vendor/supabase/build.sh"
if [ ! -x "$build" ]; then
    echo "Skipped: the auth.users benchmark needs the Supabase-shaped database ($build)."
    exit 0
fi
configuration=$([ "${BENCH_QUICK:-}" = 1 ] && echo debug || echo release)
swift build -c "$configuration" --product crm-pipeline >/dev/null
bin="$(swift build -c "$configuration" --show-bin-path)/crm-pipeline"
. Benchmarks/common.sh

base=$(mktemp -d /tmp/crm-bench-supabase.XXXXXX)
chmod 755 "$base"
port=55434
work=$(mktemp -d)
trap '"$build" "$base" "$port" stop >/dev/null 2>&1 || true; rm -rf "$base" "$work"' EXIT
"$build" "$base" "$port" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
admin="postgresql://supabase_admin@/postgres?host=$base/sock&port=$port"
url_of() { echo "postgresql://${2:-postgres}@/$1?host=$base/sock&port=$port"; }

"$bin" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261201 --out "$work/data" >/dev/null

# Two migrated project databases, as templates: auth.users empty, and auth.users with the accounts,
# written as GoTrue writes them (as supabase_auth_admin, emails lower-case).
template() {  # template NAME ACCOUNTS
    "$build" "$base" "$port" newdb "$1" >/dev/null
    "$bin" migrate --database-url "$(url_of "$1")" --log-level warning >/dev/null
    if [ "$2" -gt 0 ]; then
        psql -X -q -v ON_ERROR_STOP=1 -d "$(url_of "$1" supabase_auth_admin)" >/dev/null <<SQL
CREATE TEMP TABLE crm_emails (email text, rest text);
\\copy crm_emails (email) FROM PROGRAM 'cut -d, -f1 $work/data/users.csv | tail -n +2' CSV
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', email, '',
       '{"provider": "email", "providers": ["email"]}', '{}', now(), now()
FROM (SELECT 'account' || n || '@example.org' AS email FROM generate_series(1, $2 - $users / 2) n
      UNION ALL
      (SELECT DISTINCT lower(email) FROM crm_emails WHERE email LIKE '%@%' LIMIT $users / 2)) a;
ANALYZE auth.users;
SQL
    fi
    psql -X -q -d "$admin" -c "ALTER DATABASE $1 WITH ALLOW_CONNECTIONS false" >/dev/null
}
template bench_auth_none 0
template bench_auth_many "$accounts"

import_into() {  # import_into TEMPLATE: seconds of one nightly import into a fresh copy
    psql -X -q -d "$admin" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS bench_auth_run" \
        -c "CREATE DATABASE bench_auth_run TEMPLATE $1 OWNER postgres" >/dev/null
    local start
    start=$(now)
    "$bin" import "$work/data" --database-url "$(url_of bench_auth_run)" --reject-file "$work/rejects.jsonl" \
        --log-level warning >/dev/null
    calc "$(now) - $start" 3
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
none=()
many=()
for _ in $(seq "$runs"); do
    none+=("$(import_into bench_auth_none)")
    many+=("$(import_into bench_auth_many)")
done
linked=$(psql -X -q -At -d "$(url_of bench_auth_run)" -c 'SELECT count(user_id) FROM "digital_resume_by_CRM"')
median_none=$(printf '%s\n' "${none[@]}" | median)
median_many=$(printf '%s\n' "${many[@]}" | median)

# The users merge's account lookup alone, for the import's users, in the form of releases up to 0014 and in
# today's (one join for every staged user, issue 24), on the large auth.users.
lookup() {  # lookup JOIN: milliseconds
    psql -X -q -At -d "$(url_of bench_auth_run)" <<SQL | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
CREATE TEMP TABLE s AS SELECT email FROM "digital_resume_by_CRM";
ANALYZE s;
EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(account.id) FROM s $1;
SQL
}
old_ms=$(lookup "LEFT JOIN LATERAL (SELECT a.id FROM auth.users a WHERE lower(a.email) = s.email ORDER BY a.id LIMIT 1) account ON true")
new_ms=$(lookup "LEFT JOIN (SELECT DISTINCT ON (a.email) a.email, a.id FROM auth.users a WHERE NOT a.is_sso_user AND a.email IN (SELECT email FROM s) ORDER BY a.email, a.id) account ON account.email = s.email")

echo "## Account linking against a large auth.users (issue 14)"
echo
echo "\`Benchmarks/auth-users.sh $users $accounts $runs\`: a nightly import of $users new CRM users into a Supabase-shaped"
echo "database (built from \`../shared/vendor/supabase\`, as \`postgres\`), $runs runs each, interleaved; medians."
echo
echo "| auth.users | import (s) | runs | × empty auth.users |"
echo "|---|---|---|---|"
echo "| 0 accounts | $median_none | ${none[*]} | 1 |"
echo "| $accounts accounts ($linked of the $users users signed up) | $median_many | ${many[*]} | $(calc "$median_many / $median_none" 2)× |"
echo
echo "Goal: at most 1.2× — $(awk "BEGIN { print ($median_many / $median_none <= 1.2) ? \"met\" : \"NOT met\" }")."
echo "The users merge's account lookup for the $users users on the $accounts accounts: ${old_ms} ms in the form of"
echo "releases up to 0014 (\`lower(a.email) = s.email\`, a scan of auth.users per user), ${new_ms} ms by today's exact match"
echo "of every staged user at once, one pass over auth.users at worst, with or without statistics ($(calc "$old_ms / $new_ms" 0)× faster)."
echo
psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_auth_run" >/dev/null
