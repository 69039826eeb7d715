-- Supabase shim: creates what a Supabase project already provides, and only where it is missing,
-- so that the same migrations run unchanged on Supabase and on a plain PostgreSQL.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Roles are cluster-wide: another database of the same cluster may have created them already.
DO $shim$
DECLARE
    wanted text[][] := ARRAY[
        ARRAY['anon', 'NOLOGIN NOINHERIT'],
        ARRAY['authenticated', 'NOLOGIN NOINHERIT'],
        ARRAY['service_role', 'NOLOGIN NOINHERIT BYPASSRLS']];
    i int;
BEGIN
    FOR i IN 1 .. array_length(wanted, 1) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted[i][1]) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I %s', wanted[i][1], wanted[i][2]);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by a migration of another database
            END;
        END IF;
    END LOOP;
END
$shim$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

DO $shim$
BEGIN
    IF to_regclass('auth.users') IS NULL THEN
        CREATE TABLE auth.users (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            email text
        );
        CREATE INDEX users_lower_email_idx ON auth.users (lower(email));
    END IF;

    -- As Supabase defines it: the subject of the request's JWT claims.
    IF to_regprocedure('auth.uid()') IS NULL THEN
        CREATE FUNCTION auth.uid() RETURNS uuid
        LANGUAGE sql STABLE
        AS $fn$
            SELECT coalesce(
                nullif(current_setting('request.jwt.claim.sub', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
            )::uuid
        $fn$;
    END IF;
END
$shim$;
