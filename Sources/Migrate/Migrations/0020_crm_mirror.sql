-- The app mirrors the CRM (issue 25).
--
-- Which source (CRM) has each user: an import with --users-snapshot says its users are the source's
-- complete list, and removes the stored users only that source had and its list no longer names; two
-- CRMs feeding one database never remove each other's users. A user loaded by several sources goes when
-- the last of them drops it. Users the app created itself belong to no source, and no snapshot removes
-- them. Personal data: kept out of the API's reach, in crm_private, like everything internal.
CREATE TABLE crm_private.crm_user_sources (
    email  text NOT NULL,
    source text NOT NULL CHECK (source <> ''),
    PRIMARY KEY (email, source)
);
CREATE INDEX crm_user_sources_source_idx ON crm_private.crm_user_sources (source);

-- Every import so far was of the source an import names when it names none.
INSERT INTO crm_private.crm_user_sources (email, source) SELECT email, 'default' FROM "digital_resume_by_CRM";

REVOKE ALL ON TABLE crm_private.crm_user_sources FROM PUBLIC, anon, authenticated, service_role;

-- The erasure log: each erasure request carried out (GDPR art. 17, CCPA), without the personal data it
-- was about — the person is known only by a keyed hash of their normalized email (HMAC-SHA256 with a key
-- made here, at random, and kept in crm_private), the operator's reference, when it was asked and done,
-- and how many rows went from each table. A later import refuses the person's rows older than the request;
-- `verify` checks that no erased person is back in the tables from before it.
CREATE TABLE crm_private.crm_erasure_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    inner_pad bytea NOT NULL,
    outer_pad bytea NOT NULL
);

DO $key$
DECLARE
    key bytea := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
              || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    inner_pad bytea := key;
    outer_pad bytea := key;
BEGIN
    FOR i IN 0..63 LOOP
        inner_pad := set_byte(inner_pad, i, get_byte(key, i) # 54);   -- 0x36
        outer_pad := set_byte(outer_pad, i, get_byte(key, i) # 92);   -- 0x5c
    END LOOP;
    INSERT INTO crm_private.crm_erasure_key (inner_pad, outer_pad) VALUES (inner_pad, outer_pad);
END
$key$;

-- HMAC-SHA256(key, email): sha256 of the outer pad and of sha256 of the inner pad and the email.
CREATE FUNCTION crm_private.crm_email_hash(p_email text) RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sha256(k.outer_pad || sha256(k.inner_pad || convert_to(p_email, 'UTF8'))) FROM crm_private.crm_erasure_key k
$$;

CREATE TABLE crm_private.crm_erasures (
    id           bigserial PRIMARY KEY,
    email_hash   bytea NOT NULL,
    reference    text,
    requested_at timestamptz NOT NULL,
    erased_at    timestamptz NOT NULL DEFAULT now(),
    run_id       bigint,
    rows_removed jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX crm_erasures_email_hash_idx ON crm_private.crm_erasures (email_hash);

REVOKE ALL ON TABLE crm_private.crm_erasure_key, crm_private.crm_erasures FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION crm_private.crm_email_hash(text) FROM PUBLIC, anon, authenticated, service_role;
