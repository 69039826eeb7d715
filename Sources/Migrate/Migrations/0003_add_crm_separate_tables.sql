-- The CRM user's job requests, recordings and resumes, and the dashboard stats kept from them.
-- Every key includes email, so that the tables can be distributed by email (Citus) unchanged.

CREATE TABLE crm_job_requests (
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    email        text NOT NULL REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    user_id      uuid,
    external_id  text,
    job_title    text NOT NULL,
    company_name text,
    status       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, id),
    CONSTRAINT crm_job_requests_external_id_key UNIQUE (email, external_id)
);
CREATE INDEX crm_job_requests_email_created_at_idx ON crm_job_requests (email, created_at);
CREATE INDEX crm_job_requests_user_id_idx ON crm_job_requests (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE crm_recordings (
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    email            text NOT NULL REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    user_id          uuid,
    external_id      text,
    -- A recording may only point at a job request of its own user: the foreign key includes email.
    -- Deleting the job request keeps the recording and clears the link.
    job_request_id   uuid,
    video_url        text NOT NULL,
    duration_seconds integer CONSTRAINT crm_recordings_duration_not_negative CHECK (duration_seconds >= 0),
    credit_charged   boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, id),
    CONSTRAINT crm_recordings_external_id_key UNIQUE (email, external_id),
    CONSTRAINT crm_recordings_job_request_fkey FOREIGN KEY (email, job_request_id)
        REFERENCES crm_job_requests (email, id) ON DELETE SET NULL (job_request_id)
);
CREATE INDEX crm_recordings_email_created_at_idx ON crm_recordings (email, created_at);
CREATE INDEX crm_recordings_user_id_idx ON crm_recordings (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX crm_recordings_job_request_idx ON crm_recordings (email, job_request_id) WHERE job_request_id IS NOT NULL;

CREATE TABLE crm_resumes (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    email       text NOT NULL REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    user_id     uuid,
    external_id text,
    file_url    text NOT NULL,
    file_name   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, id),
    CONSTRAINT crm_resumes_external_id_key UNIQUE (email, external_id)
);
CREATE INDEX crm_resumes_email_created_at_idx ON crm_resumes (email, created_at);
CREATE INDEX crm_resumes_user_id_idx ON crm_resumes (user_id) WHERE user_id IS NOT NULL;

-- Exactly one row per CRM user, equal to the real row counts at all times (kept by triggers).
CREATE TABLE crm_dashboard_stats (
    email              text PRIMARY KEY REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    total_applications integer NOT NULL DEFAULT 0 CHECK (total_applications >= 0),
    total_recordings   integer NOT NULL DEFAULT 0 CHECK (total_recordings >= 0),
    total_resumes      integer NOT NULL DEFAULT 0 CHECK (total_resumes >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
