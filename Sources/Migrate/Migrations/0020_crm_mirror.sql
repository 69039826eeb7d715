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
