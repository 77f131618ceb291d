-- The call-feedback schema for a Citus cluster (--target citus), generated from the Swift model in Sources/SchemaModel.
-- Do not edit by hand: change the model, run `pgmigrate generate`, review the diff.
-- CI runs `pgmigrate generate --check`, which fails when this file and the model disagree.
-- Objects: 9 tables, 6 enum types, 25 functions, 404 statements.

-- Citus (--target citus): the extension check, then the tables' placement

DO $citus$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'this migration is for a Citus cluster: the citus extension is not installed in this database'
            USING ERRCODE = 'feature_not_supported', HINT = 'CREATE EXTENSION citus on the coordinator and every worker, or use the single-server migrations (sql/)';
    END IF;
END
$citus$;

SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

-- Extensions

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

-- Enum types

CREATE TYPE public.call_status AS ENUM (
    'initiated',
    'connecting',
    'in_progress',
    'completed',
    'failed',
    'timeout'
);

COMMENT ON TYPE public.call_status IS 'Lifecycle of a call session; transitions are enforced by a trigger.';

CREATE TYPE public.question_priority AS ENUM (
    'high',
    'medium',
    'low'
);

COMMENT ON TYPE public.question_priority IS 'Priority of a business question.';

CREATE TYPE public.call_event_type AS ENUM (
    'initiated',
    'connecting',
    'answered',
    'ai_connected',
    'question_asked',
    'response_received',
    'warning_sent',
    'timeout',
    'completed',
    'failed'
);

COMMENT ON TYPE public.call_event_type IS 'Kinds of events in a call''s lifecycle.';

CREATE TYPE public.call_event_source AS ENUM (
    'system',
    'telephony',
    'ai',
    'customer'
);

COMMENT ON TYPE public.call_event_source IS 'Where a call event came from.';

CREATE TYPE public.telephony_provider AS ENUM (
    '46elks',
    'twilio'
);

COMMENT ON TYPE public.telephony_provider IS 'Telephony providers in use.';

CREATE TYPE public.telephony_operation AS ENUM (
    'initiate',
    'connect',
    'record',
    'hangup',
    'webhook'
);

COMMENT ON TYPE public.telephony_operation IS 'Operations performed with a telephony provider.';

-- Roles (created only if absent)

DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'call_service') THEN
        CREATE ROLE call_service NOLOGIN;
    END IF;
END
$role$;

DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'business_app') THEN
        CREATE ROLE business_app NOLOGIN;
    END IF;
END
$role$;

-- Tables, comments and indexes

CREATE TABLE IF NOT EXISTS public.businesses (
    id uuid NOT NULL,
    CONSTRAINT businesses_pkey PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS public.customer_verifications (
    id uuid NOT NULL,
    CONSTRAINT customer_verifications_pkey PRIMARY KEY (id)
);

CREATE TABLE public.call_sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    business_id uuid NOT NULL,
    customer_phone text,
    customer_phone_hash bytea,
    verification_id uuid NOT NULL,
    status public.call_status DEFAULT 'initiated'::public.call_status NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    connected_at timestamp with time zone,
    ended_at timestamp with time zone,
    duration_seconds integer,
    questions_asked jsonb DEFAULT '[]'::jsonb NOT NULL,
    ai_session_id character varying(255),
    telephony_call_id character varying(255),
    cost_estimate numeric(10,4),
    recording_url character varying(2048),
    transcript text,
    transcript_anonymized_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    customer_phone_key_generation integer DEFAULT 1 NOT NULL,
    CONSTRAINT call_sessions_pkey PRIMARY KEY (id, business_id),
    CONSTRAINT call_sessions_id_business_id_key UNIQUE (id, business_id),
    CONSTRAINT call_sessions_duration_seconds_range CHECK (duration_seconds >= 0 AND duration_seconds <= 120),
    CONSTRAINT call_sessions_cost_estimate_non_negative CHECK (cost_estimate >= 0),
    CONSTRAINT call_sessions_questions_asked_is_array CHECK (jsonb_typeof(questions_asked) = 'array'),
    CONSTRAINT call_sessions_connected_after_start CHECK (connected_at >= started_at),
    CONSTRAINT call_sessions_ended_after_start CHECK (ended_at >= started_at),
    CONSTRAINT call_sessions_ended_after_connect CHECK (ended_at >= connected_at),
    CONSTRAINT call_sessions_customer_phone_hash_present CHECK ((customer_phone IS NULL) = (customer_phone_hash IS NULL))
);

CREATE INDEX idx_call_sessions_business_status ON public.call_sessions (business_id, status);

CREATE INDEX idx_call_sessions_created_at ON public.call_sessions (created_at);

CREATE INDEX idx_call_sessions_verification_id ON public.call_sessions (verification_id);

CREATE INDEX idx_call_sessions_customer_phone_hash ON public.call_sessions (customer_phone_hash) WHERE customer_phone_hash IS NOT NULL;

CREATE INDEX idx_call_sessions_customer_phone_key_generation ON public.call_sessions (customer_phone_key_generation) WHERE customer_phone IS NOT NULL;

CREATE INDEX idx_call_sessions_failed_created_at ON public.call_sessions (created_at) WHERE status = 'failed'::public.call_status;

CREATE INDEX idx_call_sessions_recording_created_at ON public.call_sessions (created_at) WHERE recording_url IS NOT NULL;

CREATE INDEX idx_call_sessions_transcript_pending_created_at ON public.call_sessions (created_at) WHERE transcript IS NOT NULL AND transcript_anonymized_at IS NULL;

CREATE TABLE public.question_configurations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    business_id uuid NOT NULL,
    question_text text NOT NULL,
    frequency integer NOT NULL,
    priority public.question_priority DEFAULT 'medium'::public.question_priority NOT NULL,
    department_tags jsonb NOT NULL,
    active_from date,
    active_until date,
    is_active boolean DEFAULT true NOT NULL,
    max_response_time integer DEFAULT 30 NOT NULL,
    follow_up_prompts jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT question_configurations_pkey PRIMARY KEY (id, business_id),
    CONSTRAINT question_configurations_id_business_id_key UNIQUE (id, business_id),
    CONSTRAINT question_configurations_question_text_length CHECK (char_length(question_text) >= 10 AND char_length(question_text) <= 500),
    CONSTRAINT question_configurations_frequency_range CHECK (frequency >= 1 AND frequency <= 100),
    CONSTRAINT question_configurations_active_period_valid CHECK (active_from <= active_until),
    CONSTRAINT question_configurations_department_tags_non_empty_array CHECK (jsonb_typeof(department_tags) = 'array' AND jsonb_array_length(department_tags) > 0 AND NOT jsonb_path_exists(department_tags, 'strict $[*] ? (@.type() != "string")')),
    CONSTRAINT question_configurations_max_response_time_range CHECK (max_response_time >= 1 AND max_response_time <= 60),
    CONSTRAINT question_configurations_follow_up_prompts_is_array CHECK (jsonb_typeof(follow_up_prompts) = 'array')
);

CREATE INDEX idx_question_configs_business_active ON public.question_configurations (business_id, is_active);

CREATE TABLE public.call_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
    business_id uuid NOT NULL,
    event_type public.call_event_type NOT NULL,
    event_data jsonb DEFAULT '{}'::jsonb NOT NULL,
    timestamp timestamp with time zone DEFAULT now() NOT NULL,
    source public.call_event_source NOT NULL,
    metadata jsonb,
    CONSTRAINT call_events_pkey PRIMARY KEY (id, timestamp, business_id),
    CONSTRAINT call_events_event_data_is_object CHECK (jsonb_typeof(event_data) = 'object'),
    CONSTRAINT call_events_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
) PARTITION BY RANGE (timestamp);

DO $partitions$
DECLARE
    first date := pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date;
    last date := greatest((pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date + 7 * interval '1 day')::date, pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date);
    next date;
BEGIN
    WHILE first <= last LOOP
        next := (first + interval '1 day')::date;
        EXECUTE pg_catalog.format(
            'CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF public.call_events FOR VALUES FROM (%L) TO (%L)',
            'public', 'call_events_p' || pg_catalog.to_char(first, 'YYYYMMDD'),
            pg_catalog.to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00', pg_catalog.to_char(next, 'YYYY-MM-DD') || ' 00:00:00+00');
        first := next;
    END LOOP;
END
$partitions$;

CREATE TABLE public.call_events_default PARTITION OF public.call_events DEFAULT;

CREATE INDEX idx_call_events_session_timestamp ON public.call_events (call_session_id, timestamp);

CREATE INDEX idx_call_events_business_timestamp ON public.call_events (business_id, timestamp);

CREATE INDEX idx_call_events_timestamp ON public.call_events (timestamp);

CREATE TABLE public.call_responses (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
    business_id uuid NOT NULL,
    question_id uuid NOT NULL,
    question_text text NOT NULL,
    response_text text NOT NULL,
    response_duration integer NOT NULL,
    confidence_score numeric(4,3),
    sentiment_score numeric(4,3),
    asked_at timestamp with time zone NOT NULL,
    responded_at timestamp with time zone,
    ai_analysis jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT call_responses_pkey PRIMARY KEY (id, business_id),
    CONSTRAINT call_responses_response_duration_range CHECK (response_duration >= 0 AND response_duration <= 60),
    CONSTRAINT call_responses_confidence_score_range CHECK (confidence_score >= 0 AND confidence_score <= 1),
    CONSTRAINT call_responses_sentiment_score_range CHECK (sentiment_score >= -1 AND sentiment_score <= 1),
    CONSTRAINT call_responses_responded_after_asked CHECK (asked_at <= responded_at),
    CONSTRAINT call_responses_ai_analysis_is_object CHECK (jsonb_typeof(ai_analysis) = 'object')
);

CREATE INDEX idx_call_responses_session ON public.call_responses (call_session_id);

CREATE INDEX idx_call_responses_question_id ON public.call_responses (question_id);

CREATE INDEX idx_call_responses_business_created ON public.call_responses (business_id, created_at);

CREATE TABLE public.question_selection_logs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    business_id uuid NOT NULL,
    customer_count integer NOT NULL,
    selected_questions jsonb NOT NULL,
    selection_algorithm character varying(64) NOT NULL,
    selection_criteria jsonb NOT NULL,
    time_budget_seconds integer NOT NULL,
    estimated_duration integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT question_selection_logs_pkey PRIMARY KEY (id, business_id),
    CONSTRAINT question_selection_logs_customer_count_positive CHECK (customer_count > 0),
    CONSTRAINT question_selection_logs_selected_questions_is_array CHECK (jsonb_typeof(selected_questions) = 'array'),
    CONSTRAINT question_selection_logs_selection_algorithm_not_blank CHECK (btrim(selection_algorithm) <> ''),
    CONSTRAINT question_selection_logs_selection_criteria_is_object CHECK (jsonb_typeof(selection_criteria) = 'object'),
    CONSTRAINT question_selection_logs_time_budget_range CHECK (time_budget_seconds >= 60 AND time_budget_seconds <= 120),
    CONSTRAINT question_selection_logs_estimated_duration_within_budget CHECK (estimated_duration >= 0 AND estimated_duration <= time_budget_seconds)
);

CREATE INDEX idx_question_selection_business_time ON public.question_selection_logs (business_id, created_at);

CREATE TABLE public.telephony_provider_logs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
    business_id uuid NOT NULL,
    provider public.telephony_provider NOT NULL,
    provider_call_id character varying(255) NOT NULL,
    operation public.telephony_operation NOT NULL,
    request_payload jsonb NOT NULL,
    response_payload jsonb NOT NULL,
    status_code integer NOT NULL,
    latency_ms integer NOT NULL,
    success boolean NOT NULL,
    error_message text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT telephony_provider_logs_pkey PRIMARY KEY (id, created_at, business_id),
    CONSTRAINT telephony_provider_logs_status_code_valid_http CHECK (status_code >= 100 AND status_code <= 599),
    CONSTRAINT telephony_provider_logs_latency_ms_non_negative CHECK (latency_ms >= 0),
    CONSTRAINT telephony_provider_logs_error_message_required_on_failure CHECK (success OR (error_message IS NOT NULL AND btrim(error_message) <> ''))
) PARTITION BY RANGE (created_at);

DO $partitions$
DECLARE
    first date := pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date;
    last date := greatest((pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date + 7 * interval '1 day')::date, pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date);
    next date;
BEGIN
    WHILE first <= last LOOP
        next := (first + interval '1 day')::date;
        EXECUTE pg_catalog.format(
            'CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF public.telephony_provider_logs FOR VALUES FROM (%L) TO (%L)',
            'public', 'telephony_provider_logs_p' || pg_catalog.to_char(first, 'YYYYMMDD'),
            pg_catalog.to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00', pg_catalog.to_char(next, 'YYYY-MM-DD') || ' 00:00:00+00');
        first := next;
    END LOOP;
END
$partitions$;

CREATE TABLE public.telephony_provider_logs_default PARTITION OF public.telephony_provider_logs DEFAULT;

CREATE INDEX idx_telephony_provider_logs_session ON public.telephony_provider_logs (call_session_id);

CREATE INDEX idx_telephony_provider_logs_business_created ON public.telephony_provider_logs (business_id, created_at);

CREATE INDEX idx_telephony_provider_logs_created_at ON public.telephony_provider_logs (created_at);

CREATE TABLE public.call_events_archive (
    id uuid NOT NULL,
    call_session_id uuid NOT NULL,
    business_id uuid NOT NULL,
    event_type public.call_event_type NOT NULL,
    event_data jsonb NOT NULL,
    timestamp timestamp with time zone NOT NULL,
    source public.call_event_source NOT NULL,
    metadata jsonb,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT call_events_archive_pkey PRIMARY KEY (id, timestamp, business_id),
    CONSTRAINT call_events_archive_event_data_is_object CHECK (jsonb_typeof(event_data) = 'object'),
    CONSTRAINT call_events_archive_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
) PARTITION BY RANGE (timestamp);

DO $partitions$
DECLARE
    first date := pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date;
    last date := greatest((pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date + 7 * interval '1 day')::date, pg_catalog.date_trunc('day', (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date);
    next date;
BEGIN
    WHILE first <= last LOOP
        next := (first + interval '1 day')::date;
        EXECUTE pg_catalog.format(
            'CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF public.call_events_archive FOR VALUES FROM (%L) TO (%L)',
            'public', 'call_events_archive_p' || pg_catalog.to_char(first, 'YYYYMMDD'),
            pg_catalog.to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00', pg_catalog.to_char(next, 'YYYY-MM-DD') || ' 00:00:00+00');
        first := next;
    END LOOP;
END
$partitions$;

CREATE TABLE public.call_events_archive_default PARTITION OF public.call_events_archive DEFAULT;

CREATE INDEX idx_call_events_archive_session ON public.call_events_archive (call_session_id);

CREATE INDEX idx_call_events_archive_business_timestamp ON public.call_events_archive (business_id, timestamp);

CREATE TABLE public.gdpr_erasure_log (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    erased_at timestamp with time zone DEFAULT now() NOT NULL,
    erased_by text DEFAULT CURRENT_USER NOT NULL,
    sessions integer NOT NULL,
    responses integer NOT NULL,
    events integer NOT NULL,
    archived_events integer NOT NULL,
    provider_logs integer NOT NULL,
    CONSTRAINT gdpr_erasure_log_pkey PRIMARY KEY (id)
);

CREATE TABLE public.phone_encryption_key_check (
    id boolean DEFAULT true NOT NULL,
    check_value bytea NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    registered_by text DEFAULT CURRENT_USER NOT NULL,
    generation integer DEFAULT 1 NOT NULL,
    scheme smallint DEFAULT 1 NOT NULL,
    retiring_check_value bytea,
    retiring_generation integer,
    retiring_scheme smallint,
    CONSTRAINT phone_encryption_key_check_pkey PRIMARY KEY (id),
    CONSTRAINT phone_encryption_key_check_one_row CHECK (id),
    CONSTRAINT phone_encryption_key_check_scheme_known CHECK (scheme IN (1, 2) AND retiring_scheme IN (1, 2)),
    CONSTRAINT phone_encryption_key_check_retiring_complete CHECK ((retiring_check_value IS NULL) = (retiring_generation IS NULL) AND (retiring_generation IS NULL) = (retiring_scheme IS NULL)),
    CONSTRAINT phone_encryption_key_check_retiring_older CHECK (retiring_generation < generation)
);

-- Citus (--target citus): the extension check, then the tables' placement

SELECT pg_catalog.create_reference_table('public.businesses') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.businesses'::pg_catalog.regclass AND repmodel = 't');

SELECT pg_catalog.create_reference_table('public.customer_verifications') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.customer_verifications'::pg_catalog.regclass AND repmodel = 't');

SELECT pg_catalog.create_reference_table('public.phone_encryption_key_check') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.phone_encryption_key_check'::pg_catalog.regclass AND repmodel = 't');

SELECT pg_catalog.create_distributed_table('public.call_sessions', 'business_id') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.call_sessions'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.question_configurations', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.question_configurations'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.call_events', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.call_events'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.call_responses', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.call_responses'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.question_selection_logs', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.question_selection_logs'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.telephony_provider_logs', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.telephony_provider_logs'::pg_catalog.regclass AND partmethod = 'h');

SELECT pg_catalog.create_distributed_table('public.call_events_archive', 'business_id', colocate_with => 'public.call_sessions') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.call_events_archive'::pg_catalog.regclass AND partmethod = 'h');

-- Tables, comments and indexes

ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT;

ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_verification_id_fkey FOREIGN KEY (verification_id) REFERENCES public.customer_verifications (id) ON DELETE RESTRICT;

COMMENT ON TABLE public.call_sessions IS 'An individual AI-powered call session.';
COMMENT ON COLUMN public.call_sessions.id IS 'Primary key.';
COMMENT ON COLUMN public.call_sessions.business_id IS 'The business the call is made for.';
COMMENT ON COLUMN public.call_sessions.customer_phone IS 'Customer''s Swedish phone number: written in plain text, stored encrypted (pgcrypto, base64); NULL only after GDPR erasure.';
COMMENT ON COLUMN public.call_sessions.customer_phone_hash IS 'HMAC-SHA256 of the normalised number under the encryption key: finds a customer''s rows without decrypting.';
COMMENT ON COLUMN public.call_sessions.verification_id IS 'The customer verification that led to this call.';
COMMENT ON COLUMN public.call_sessions.status IS 'Call status; follows the state machine.';
COMMENT ON COLUMN public.call_sessions.started_at IS 'Call initiation time.';
COMMENT ON COLUMN public.call_sessions.connected_at IS 'When the customer answered.';
COMMENT ON COLUMN public.call_sessions.ended_at IS 'Call completion time.';
COMMENT ON COLUMN public.call_sessions.duration_seconds IS 'Total call duration, at most 120 seconds.';
COMMENT ON COLUMN public.call_sessions.questions_asked IS 'JSON array of the question ids asked during the call.';
COMMENT ON COLUMN public.call_sessions.ai_session_id IS 'OpenAI session identifier.';
COMMENT ON COLUMN public.call_sessions.telephony_call_id IS 'Telephony provider''s call identifier.';
COMMENT ON COLUMN public.call_sessions.cost_estimate IS 'Estimated call cost (SEK), never negative.';
COMMENT ON COLUMN public.call_sessions.recording_url IS 'Call recording location; cleared after 30 days.';
COMMENT ON COLUMN public.call_sessions.transcript IS 'Full conversation transcript; anonymised for long-term storage.';
COMMENT ON COLUMN public.call_sessions.transcript_anonymized_at IS 'When the transcript was anonymised by retention (NULL: not yet).';
COMMENT ON COLUMN public.call_sessions.created_at IS 'When the row was created.';
COMMENT ON COLUMN public.call_sessions.updated_at IS 'When the row was last updated.';
COMMENT ON COLUMN public.call_sessions.customer_phone_key_generation IS 'Generation of the phone key the number and its hash are under (phone_encryption_key_check.generation); set by the trigger.';
COMMENT ON CONSTRAINT call_sessions_duration_seconds_range ON public.call_sessions IS 'A call lasts at most 2 minutes.';
COMMENT ON CONSTRAINT call_sessions_cost_estimate_non_negative ON public.call_sessions IS 'Cost estimate must be non-negative.';
COMMENT ON CONSTRAINT call_sessions_questions_asked_is_array ON public.call_sessions IS 'questions_asked is a JSON array.';
COMMENT ON CONSTRAINT call_sessions_connected_after_start ON public.call_sessions IS 'A call cannot connect before it started.';
COMMENT ON CONSTRAINT call_sessions_ended_after_start ON public.call_sessions IS 'A call cannot end before it started.';
COMMENT ON CONSTRAINT call_sessions_ended_after_connect ON public.call_sessions IS 'A call cannot end before it connected.';
COMMENT ON CONSTRAINT call_sessions_customer_phone_hash_present ON public.call_sessions IS 'An encrypted number always has its lookup hash, and erasure removes both.';
COMMENT ON INDEX public.idx_call_sessions_verification_id IS 'Covers the foreign key to customer_verifications.';
COMMENT ON INDEX public.idx_call_sessions_customer_phone_hash IS 'GDPR erasure finds a customer''s sessions by the keyed hash.';
COMMENT ON INDEX public.idx_call_sessions_customer_phone_key_generation IS 'A key rotation finds the numbers still under the retiring key.';
COMMENT ON INDEX public.idx_call_sessions_failed_created_at IS 'Retention: failed sessions by age.';
COMMENT ON INDEX public.idx_call_sessions_recording_created_at IS 'Retention: sessions with a recording by age.';
COMMENT ON INDEX public.idx_call_sessions_transcript_pending_created_at IS 'Retention: transcripts not yet anonymised, by age.';

ALTER TABLE public.question_configurations ADD CONSTRAINT question_configurations_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT;

COMMENT ON TABLE public.question_configurations IS 'Business-defined questions with frequency and targeting settings.';
COMMENT ON COLUMN public.question_configurations.id IS 'Primary key.';
COMMENT ON COLUMN public.question_configurations.business_id IS 'The business that asks the question.';
COMMENT ON COLUMN public.question_configurations.question_text IS 'The question in Swedish, 10 to 500 characters.';
COMMENT ON COLUMN public.question_configurations.frequency IS 'Ask every Nth customer (1 to 100).';
COMMENT ON COLUMN public.question_configurations.priority IS 'Question priority.';
COMMENT ON COLUMN public.question_configurations.department_tags IS 'Non-empty JSON array of department/area tags (strings).';
COMMENT ON COLUMN public.question_configurations.active_from IS 'First day the question is active.';
COMMENT ON COLUMN public.question_configurations.active_until IS 'Last day the question is active.';
COMMENT ON COLUMN public.question_configurations.is_active IS 'Whether the question is currently active.';
COMMENT ON COLUMN public.question_configurations.max_response_time IS 'Maximum seconds for a response (1 to 60).';
COMMENT ON COLUMN public.question_configurations.follow_up_prompts IS 'JSON array of prompts for clarification.';
COMMENT ON COLUMN public.question_configurations.created_at IS 'When the row was created.';
COMMENT ON COLUMN public.question_configurations.updated_at IS 'When the row was last updated.';
COMMENT ON CONSTRAINT question_configurations_question_text_length ON public.question_configurations IS 'Question text must be 10-500 characters.';
COMMENT ON CONSTRAINT question_configurations_frequency_range ON public.question_configurations IS 'Frequency must be 1-100.';
COMMENT ON CONSTRAINT question_configurations_active_period_valid ON public.question_configurations IS 'The active period must not end before it starts.';
COMMENT ON CONSTRAINT question_configurations_department_tags_non_empty_array ON public.question_configurations IS 'Department tags must be a non-empty array of strings.';
COMMENT ON CONSTRAINT question_configurations_max_response_time_range ON public.question_configurations IS 'A response may take 1 to 60 seconds.';
COMMENT ON CONSTRAINT question_configurations_follow_up_prompts_is_array ON public.question_configurations IS 'follow_up_prompts is a JSON array.';

ALTER TABLE public.call_events ADD CONSTRAINT call_events_call_session_id_fkey FOREIGN KEY (call_session_id, business_id) REFERENCES public.call_sessions (id, business_id) ON DELETE CASCADE;

COMMENT ON TABLE public.call_events IS 'Log of events during a call''s lifecycle.';
COMMENT ON COLUMN public.call_events.id IS 'Primary key.';
COMMENT ON COLUMN public.call_events.call_session_id IS 'The call session the event belongs to.';
COMMENT ON COLUMN public.call_events.business_id IS 'The call session''s business (filled in from the session; kept equal by the foreign key).';
COMMENT ON COLUMN public.call_events.event_type IS 'What happened.';
COMMENT ON COLUMN public.call_events.event_data IS 'Event-specific JSON object.';
COMMENT ON COLUMN public.call_events.timestamp IS 'When the event occurred; never earlier than the session''s previous event.';
COMMENT ON COLUMN public.call_events.source IS 'Where the event came from.';
COMMENT ON COLUMN public.call_events.metadata IS 'Additional event metadata (JSON object).';
COMMENT ON CONSTRAINT call_events_event_data_is_object ON public.call_events IS 'event_data is a JSON object.';
COMMENT ON CONSTRAINT call_events_metadata_is_object ON public.call_events IS 'metadata is a JSON object.';
COMMENT ON INDEX public.idx_call_events_business_timestamp IS 'A tenant''s events through row-level security.';
COMMENT ON INDEX public.idx_call_events_timestamp IS 'Retention: events by age.';

ALTER TABLE public.call_responses ADD CONSTRAINT call_responses_call_session_id_fkey FOREIGN KEY (call_session_id, business_id) REFERENCES public.call_sessions (id, business_id) ON DELETE CASCADE;

ALTER TABLE public.call_responses ADD CONSTRAINT call_responses_question_id_fkey FOREIGN KEY (question_id, business_id) REFERENCES public.question_configurations (id, business_id) ON DELETE RESTRICT;

COMMENT ON TABLE public.call_responses IS 'Customer responses to specific questions.';
COMMENT ON COLUMN public.call_responses.id IS 'Primary key.';
COMMENT ON COLUMN public.call_responses.call_session_id IS 'The call session the response was given in.';
COMMENT ON COLUMN public.call_responses.business_id IS 'The call session''s business (filled in from the session; kept equal by the foreign key).';
COMMENT ON COLUMN public.call_responses.question_id IS 'The question configuration that was asked.';
COMMENT ON COLUMN public.call_responses.question_text IS 'The question as asked, for historical accuracy.';
COMMENT ON COLUMN public.call_responses.response_text IS 'The customer''s transcribed response.';
COMMENT ON COLUMN public.call_responses.response_duration IS 'Response duration in seconds (0 to 60).';
COMMENT ON COLUMN public.call_responses.confidence_score IS 'Transcription confidence, 0 to 1.';
COMMENT ON COLUMN public.call_responses.sentiment_score IS 'Response sentiment, -1 to 1.';
COMMENT ON COLUMN public.call_responses.asked_at IS 'When the question was asked.';
COMMENT ON COLUMN public.call_responses.responded_at IS 'When the response was received.';
COMMENT ON COLUMN public.call_responses.ai_analysis IS 'AI analysis of the response (JSON object).';
COMMENT ON COLUMN public.call_responses.created_at IS 'When the row was created.';
COMMENT ON CONSTRAINT call_responses_response_duration_range ON public.call_responses IS 'Response duration must be at most 60 seconds.';
COMMENT ON CONSTRAINT call_responses_confidence_score_range ON public.call_responses IS 'Confidence score must be 0-1.';
COMMENT ON CONSTRAINT call_responses_sentiment_score_range ON public.call_responses IS 'Sentiment score must be -1 to 1.';
COMMENT ON CONSTRAINT call_responses_responded_after_asked ON public.call_responses IS 'A response cannot come before its question.';
COMMENT ON CONSTRAINT call_responses_ai_analysis_is_object ON public.call_responses IS 'ai_analysis is a JSON object.';
COMMENT ON INDEX public.idx_call_responses_question_id IS 'Covers the foreign key to question_configurations.';
COMMENT ON INDEX public.idx_call_responses_business_created IS 'A tenant''s responses through row-level security.';

ALTER TABLE public.question_selection_logs ADD CONSTRAINT question_selection_logs_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT;

COMMENT ON TABLE public.question_selection_logs IS 'Decisions of the question selection algorithm.';
COMMENT ON COLUMN public.question_selection_logs.id IS 'Primary key.';
COMMENT ON COLUMN public.question_selection_logs.business_id IS 'The business the selection was made for.';
COMMENT ON COLUMN public.question_selection_logs.customer_count IS 'Customer number for the frequency calculation, positive.';
COMMENT ON COLUMN public.question_selection_logs.selected_questions IS 'JSON array of the selected question ids.';
COMMENT ON COLUMN public.question_selection_logs.selection_algorithm IS 'Algorithm version used.';
COMMENT ON COLUMN public.question_selection_logs.selection_criteria IS 'Criteria used for the selection (JSON object).';
COMMENT ON COLUMN public.question_selection_logs.time_budget_seconds IS 'Time available for questions, 60 to 120 seconds.';
COMMENT ON COLUMN public.question_selection_logs.estimated_duration IS 'Estimated time for the selected questions, within the budget.';
COMMENT ON COLUMN public.question_selection_logs.created_at IS 'When the row was created.';
COMMENT ON CONSTRAINT question_selection_logs_customer_count_positive ON public.question_selection_logs IS 'Customer count must be positive.';
COMMENT ON CONSTRAINT question_selection_logs_selected_questions_is_array ON public.question_selection_logs IS 'selected_questions is a JSON array.';
COMMENT ON CONSTRAINT question_selection_logs_selection_algorithm_not_blank ON public.question_selection_logs IS 'The algorithm version must be named.';
COMMENT ON CONSTRAINT question_selection_logs_selection_criteria_is_object ON public.question_selection_logs IS 'selection_criteria is a JSON object.';
COMMENT ON CONSTRAINT question_selection_logs_time_budget_range ON public.question_selection_logs IS 'Time budget must be 60-120 seconds.';
COMMENT ON CONSTRAINT question_selection_logs_estimated_duration_within_budget ON public.question_selection_logs IS 'Estimated duration must be between 0 and the time budget.';

ALTER TABLE public.telephony_provider_logs ADD CONSTRAINT telephony_provider_logs_call_session_id_fkey FOREIGN KEY (call_session_id, business_id) REFERENCES public.call_sessions (id, business_id) ON DELETE CASCADE;

COMMENT ON TABLE public.telephony_provider_logs IS 'Telephony provider interactions and metrics.';
COMMENT ON COLUMN public.telephony_provider_logs.id IS 'Primary key.';
COMMENT ON COLUMN public.telephony_provider_logs.call_session_id IS 'The call session the interaction belongs to.';
COMMENT ON COLUMN public.telephony_provider_logs.business_id IS 'The call session''s business (filled in from the session; kept equal by the foreign key).';
COMMENT ON COLUMN public.telephony_provider_logs.provider IS 'Telephony provider used.';
COMMENT ON COLUMN public.telephony_provider_logs.provider_call_id IS 'The provider''s call identifier.';
COMMENT ON COLUMN public.telephony_provider_logs.operation IS 'Operation performed.';
COMMENT ON COLUMN public.telephony_provider_logs.request_payload IS 'Request sent to the provider.';
COMMENT ON COLUMN public.telephony_provider_logs.response_payload IS 'Response from the provider.';
COMMENT ON COLUMN public.telephony_provider_logs.status_code IS 'HTTP status code (100 to 599).';
COMMENT ON COLUMN public.telephony_provider_logs.latency_ms IS 'Operation latency in milliseconds, never negative.';
COMMENT ON COLUMN public.telephony_provider_logs.success IS 'Whether the operation succeeded.';
COMMENT ON COLUMN public.telephony_provider_logs.error_message IS 'Error message; required when success is false.';
COMMENT ON COLUMN public.telephony_provider_logs.created_at IS 'When the row was created.';
COMMENT ON CONSTRAINT telephony_provider_logs_status_code_valid_http ON public.telephony_provider_logs IS 'Status code must be a valid HTTP status.';
COMMENT ON CONSTRAINT telephony_provider_logs_latency_ms_non_negative ON public.telephony_provider_logs IS 'Latency must be non-negative.';
COMMENT ON CONSTRAINT telephony_provider_logs_error_message_required_on_failure ON public.telephony_provider_logs IS 'An error message is required when success is false.';
COMMENT ON INDEX public.idx_telephony_provider_logs_session IS 'Covers the foreign key to call_sessions.';
COMMENT ON INDEX public.idx_telephony_provider_logs_business_created IS 'A tenant''s provider logs through row-level security.';
COMMENT ON INDEX public.idx_telephony_provider_logs_created_at IS 'Retention: provider logs by age.';

ALTER TABLE public.call_events_archive ADD CONSTRAINT call_events_archive_call_session_id_fkey FOREIGN KEY (call_session_id, business_id) REFERENCES public.call_sessions (id, business_id) ON DELETE CASCADE;

COMMENT ON TABLE public.call_events_archive IS 'Call events older than 90 days, moved here by retention; same access rules as call_events.';
COMMENT ON COLUMN public.call_events_archive.id IS 'Primary key.';
COMMENT ON COLUMN public.call_events_archive.call_session_id IS 'The call session the event belongs to.';
COMMENT ON COLUMN public.call_events_archive.business_id IS 'The call session''s business (filled in from the session; kept equal by the foreign key).';
COMMENT ON COLUMN public.call_events_archive.event_type IS 'What happened.';
COMMENT ON COLUMN public.call_events_archive.event_data IS 'Event-specific JSON object.';
COMMENT ON COLUMN public.call_events_archive.timestamp IS 'When the event occurred; never earlier than the session''s previous event.';
COMMENT ON COLUMN public.call_events_archive.source IS 'Where the event came from.';
COMMENT ON COLUMN public.call_events_archive.metadata IS 'Additional event metadata (JSON object).';
COMMENT ON COLUMN public.call_events_archive.archived_at IS 'When the event was archived.';
COMMENT ON CONSTRAINT call_events_archive_event_data_is_object ON public.call_events_archive IS 'event_data is a JSON object.';
COMMENT ON CONSTRAINT call_events_archive_metadata_is_object ON public.call_events_archive IS 'metadata is a JSON object.';
COMMENT ON INDEX public.idx_call_events_archive_session IS 'Covers the foreign key; erasure finds a session''s archived events.';
COMMENT ON INDEX public.idx_call_events_archive_business_timestamp IS 'A tenant''s archived events through row-level security.';
COMMENT ON TABLE public.gdpr_erasure_log IS 'Audit of GDPR Article 17 erasures (counts only).';
COMMENT ON COLUMN public.gdpr_erasure_log.id IS 'Primary key.';
COMMENT ON COLUMN public.gdpr_erasure_log.erased_at IS 'When the erasure ran.';
COMMENT ON COLUMN public.gdpr_erasure_log.erased_by IS 'The database role that ran it.';
COMMENT ON COLUMN public.gdpr_erasure_log.sessions IS 'Call sessions whose personal data was erased.';
COMMENT ON COLUMN public.gdpr_erasure_log.responses IS 'Responses whose text and analysis were erased.';
COMMENT ON COLUMN public.gdpr_erasure_log.events IS 'Live events whose payloads were erased.';
COMMENT ON COLUMN public.gdpr_erasure_log.archived_events IS 'Archived events whose payloads were erased.';
COMMENT ON COLUMN public.gdpr_erasure_log.provider_logs IS 'Provider logs whose payloads were erased.';
COMMENT ON TABLE public.phone_encryption_key_check IS 'Which phone encryption key this database''s numbers are stored with (as an HMAC, not the key).';
COMMENT ON COLUMN public.phone_encryption_key_check.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN public.phone_encryption_key_check.check_value IS 'HMAC-SHA256 of a fixed text under the key; not the key.';
COMMENT ON COLUMN public.phone_encryption_key_check.registered_at IS 'When the first phone number was stored with this key.';
COMMENT ON COLUMN public.phone_encryption_key_check.registered_by IS 'The role whose write recorded it.';
COMMENT ON COLUMN public.phone_encryption_key_check.generation IS 'Generation of the current key: rows record it in their key generation column.';
COMMENT ON COLUMN public.phone_encryption_key_check.scheme IS '1: the secret is the pgp password and HMAC key (iterated S2K); 2: keys derived with HMAC under two labels, s2k-mode=1.';
COMMENT ON COLUMN public.phone_encryption_key_check.retiring_check_value IS 'During a rotation: the HMAC identifying the old key; NULL otherwise.';
COMMENT ON COLUMN public.phone_encryption_key_check.retiring_generation IS 'During a rotation: the old key''s generation.';
COMMENT ON COLUMN public.phone_encryption_key_check.retiring_scheme IS 'During a rotation: the old key''s scheme.';
COMMENT ON CONSTRAINT phone_encryption_key_check_one_row ON public.phone_encryption_key_check IS 'The table holds at most one row.';
COMMENT ON CONSTRAINT phone_encryption_key_check_scheme_known ON public.phone_encryption_key_check IS 'Scheme 1 (legacy) or 2 (derived keys).';
COMMENT ON CONSTRAINT phone_encryption_key_check_retiring_complete ON public.phone_encryption_key_check IS 'A retiring key has its check value, generation and scheme, or none of them.';
COMMENT ON CONSTRAINT phone_encryption_key_check_retiring_older ON public.phone_encryption_key_check IS 'The retiring key is older than the current one.';

-- Functions

CREATE OR REPLACE FUNCTION public.get_current_business_id()
    RETURNS uuid
    LANGUAGE sql
    STABLE
AS $function$
SELECT CASE WHEN pg_catalog.current_setting('app.current_business_id', true) OPERATOR(pg_catalog.=) ''
            THEN NULL
            ELSE pg_catalog.current_setting('app.current_business_id', true)::pg_catalog.uuid END
$function$;

REVOKE ALL ON FUNCTION public.get_current_business_id() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.get_current_business_id() TO call_service;

GRANT EXECUTE ON FUNCTION public.get_current_business_id() TO business_app;

COMMENT ON FUNCTION public.get_current_business_id() IS 'The tenant of this session: app.current_business_id as uuid, NULL when unset or empty. Every name in the body is schema-qualified (no SET search_path), so it is safe under any search_path and PostgreSQL inlines it into the policies.';

CREATE OR REPLACE FUNCTION public.set_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.set_updated_at() FROM PUBLIC;

COMMENT ON FUNCTION public.set_updated_at() IS 'Sets updated_at to now() on every update.';

CREATE OR REPLACE FUNCTION public.set_business_id_from_call_sessions()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF NEW.business_id IS NULL THEN
        SELECT p.business_id INTO NEW.business_id FROM public.call_sessions p WHERE p.id = NEW.call_session_id;
        IF NOT FOUND AND NEW.call_session_id IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_call_session_id_fkey'
                USING ERRCODE = 'foreign_key_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                      CONSTRAINT = coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_call_session_id_fkey',
                      DETAIL = 'Key (call_session_id)=(' || NEW.call_session_id || ') is not present in table "call_sessions".';
        END IF;
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.set_business_id_from_call_sessions() FROM PUBLIC;

COMMENT ON FUNCTION public.set_business_id_from_call_sessions() IS 'Fills business_id from the parent call_sessions row when the insert omits it.';

CREATE OR REPLACE FUNCTION public.normalize_swedish_phone(raw text)
    RETURNS text
    LANGUAGE plpgsql
    IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    compact text := pg_catalog.translate(raw, ' -', '');
    national text;
BEGIN
    IF compact LIKE '+46%' THEN
        national := pg_catalog.substr(compact, 4);
    ELSIF compact LIKE '0046%' THEN
        national := pg_catalog.substr(compact, 5);
    ELSIF compact LIKE '0%' THEN
        national := pg_catalog.substr(compact, 2);
    END IF;
    IF national IS NULL OR national !~ '^[1-9][0-9]{6,8}$' THEN
        RAISE EXCEPTION 'invalid Swedish phone number (% characters): expected +46, 0046 or 0 followed by 7 to 9 digits, the first not 0', pg_catalog.length(raw)
            USING ERRCODE = 'check_violation', COLUMN = 'customer_phone', CONSTRAINT = 'call_sessions_customer_phone_swedish';
    END IF;
    RETURN '+46' || national;
END
$function$;

REVOKE ALL ON FUNCTION public.normalize_swedish_phone(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.normalize_swedish_phone(text) TO call_service;

GRANT EXECUTE ON FUNCTION public.normalize_swedish_phone(text) TO business_app;

COMMENT ON FUNCTION public.normalize_swedish_phone(text) IS 'Normalises a Swedish phone number (+46, 0046 or leading 0; spaces and hyphens ignored) to +46 and 7-9 digits; raises 23514 without echoing the number.';

CREATE OR REPLACE FUNCTION public.phone_key_derive(secret text, scheme smallint, label text)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
SELECT CASE WHEN scheme = 1 THEN secret ELSE pg_catalog.encode(public.hmac(label, secret, 'sha256'), 'hex') END
$function$;

REVOKE ALL ON FUNCTION public.phone_key_derive(text, smallint, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.phone_key_derive(text, smallint, text) TO call_service;

GRANT EXECUTE ON FUNCTION public.phone_key_derive(text, smallint, text) TO business_app;

COMMENT ON FUNCTION public.phone_key_derive(text, smallint, text) IS 'The key a scheme uses for one purpose: the secret itself under scheme 1, hex(HMAC-SHA256(secret, label)) under scheme 2.';

CREATE OR REPLACE FUNCTION public.phone_encryption_session_keys(for_write boolean DEFAULT false)
    RETURNS TABLE(generation integer, scheme smallint, secret text, is_current boolean)
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k text;
    keys text[] := ARRAY[]::text[];
    computed bytea;
    r public.phone_encryption_key_check;
    first_scheme smallint := 2;
    first_generation integer;
    probe text;
BEGIN
    FOREACH k IN ARRAY ARRAY[pg_catalog.current_setting('app.phone_encryption_key', true),
                             pg_catalog.current_setting('app.new_phone_encryption_key', true)] LOOP
        IF k IS NOT NULL AND k <> '' AND NOT k = ANY (keys) THEN keys := keys || k; END IF;
    END LOOP;
    IF pg_catalog.cardinality(keys) = 0 THEN
        RAISE EXCEPTION 'app.phone_encryption_key is not set: customer phone numbers cannot be encrypted, decrypted or looked up'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'send app.phone_encryption_key in the connection''s startup options (libpq options=''-c app.phone_encryption_key=...''); never ALTER ROLE or ALTER DATABASE ... SET it (every role can read those) nor SET it in a statement (logged)';
    END IF;
    -- A write holds the record until it commits (as a foreign-key check
    -- holds its parent row), so a rotation's begin and finish, which
    -- lock it FOR UPDATE, wait for every write that chose its key
    -- before them. Reads take no lock.
    IF for_write THEN
        SELECT * INTO r FROM public.phone_encryption_key_check FOR KEY SHARE;
    ELSE
        SELECT * INTO r FROM public.phone_encryption_key_check;
    END IF;
    IF NOT FOUND THEN
        -- First use, or the owner removed the record. Values already
        -- stored must open with this key: the scheme and generation
        -- recorded are those of a stored value (derived keys tried
        -- first); an empty table starts on scheme 2.
        SELECT t.customer_phone, t.customer_phone_key_generation INTO probe, first_generation FROM public.call_sessions t WHERE t.customer_phone IS NOT NULL LIMIT 1;
        IF FOUND THEN
            BEGIN
                PERFORM public.pgp_sym_decrypt(pg_catalog.decode(probe, 'base64'), public.phone_key_derive(keys[1], 2::smallint, 'pgmigrate phone encryption v2'));
            EXCEPTION WHEN external_routine_invocation_exception THEN
                BEGIN
                    PERFORM public.pgp_sym_decrypt(pg_catalog.decode(probe, 'base64'), keys[1]);
                    first_scheme := 1;
                EXCEPTION WHEN external_routine_invocation_exception THEN
                    RAISE EXCEPTION 'app.phone_encryption_key is not the key this database''s phone numbers are encrypted with (a stored number does not decrypt: %)', SQLERRM
                        USING ERRCODE = 'invalid_parameter_value';
                END;
            END;
        END IF;
        INSERT INTO public.phone_encryption_key_check (check_value, generation, scheme)
        VALUES (public.hmac('pgmigrate phone encryption key check', keys[1], 'sha256'), coalesce(first_generation, 1), first_scheme)
        ON CONFLICT DO NOTHING;
        SELECT * INTO r FROM public.phone_encryption_key_check FOR KEY SHARE;
    END IF;
    FOREACH k IN ARRAY keys LOOP
        computed := public.hmac('pgmigrate phone encryption key check', k, 'sha256');
        IF computed = r.check_value THEN
            generation := r.generation; scheme := r.scheme; secret := k; is_current := true; RETURN NEXT;
        END IF;
        IF computed = r.retiring_check_value THEN
            generation := r.retiring_generation; scheme := r.retiring_scheme; secret := k; is_current := false; RETURN NEXT;
        END IF;
        IF computed IS DISTINCT FROM r.check_value AND computed IS DISTINCT FROM r.retiring_check_value THEN
            RAISE EXCEPTION 'a phone encryption key of this session is not the key this database''s phone numbers are encrypted with'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'phone_encryption_key_check records the current key (and, during a rotation, the retiring one) as HMACs';
        END IF;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.phone_encryption_session_keys(boolean) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.phone_encryption_session_keys(boolean) TO call_service;

GRANT EXECUTE ON FUNCTION public.phone_encryption_session_keys(boolean) TO business_app;

COMMENT ON FUNCTION public.phone_encryption_session_keys(boolean) IS 'The keys in app.phone_encryption_key and app.new_phone_encryption_key, each with the generation and scheme it opens: 55000 when neither is set, 22023 for a key that is neither the current nor the retiring one. A write holds the key record FOR KEY SHARE until it commits.';

CREATE OR REPLACE FUNCTION public.phone_encryption_key()
    RETURNS text
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN (SELECT k.secret FROM public.phone_encryption_session_keys() k ORDER BY k.is_current DESC LIMIT 1);
END
$function$;

REVOKE ALL ON FUNCTION public.phone_encryption_key() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.phone_encryption_key() TO call_service;

GRANT EXECUTE ON FUNCTION public.phone_encryption_key() TO business_app;

COMMENT ON FUNCTION public.phone_encryption_key() IS 'The session''s key for writing (the current one when it holds it); raises like phone_encryption_session_keys().';

CREATE OR REPLACE FUNCTION public.decrypt_customer_phone(ciphertext text, generation integer)
    RETURNS text
    LANGUAGE plpgsql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM public.phone_encryption_session_keys() s WHERE s.generation = decrypt_customer_phone.generation LOOP
        RETURN public.pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone encryption v2'));
    END LOOP;
    RAISE EXCEPTION 'this session holds no key of generation %', generation
        USING ERRCODE = 'invalid_parameter_value', HINT = 'during a rotation, send both app.phone_encryption_key and app.new_phone_encryption_key';
END
$function$;

REVOKE ALL ON FUNCTION public.decrypt_customer_phone(text, integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.decrypt_customer_phone(text, integer) TO call_service;

COMMENT ON FUNCTION public.decrypt_customer_phone(text, integer) IS 'Decrypts a stored call_sessions.customer_phone of the given key generation with the session''s key for it.';

CREATE OR REPLACE FUNCTION public.decrypt_customer_phone(ciphertext text)
    RETURNS text
    LANGUAGE plpgsql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM public.phone_encryption_session_keys() s ORDER BY s.is_current DESC LOOP
        BEGIN
            RETURN public.pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone encryption v2'));
        EXCEPTION WHEN external_routine_invocation_exception THEN
            NULL;
        END;
    END LOOP;
    RAISE EXCEPTION 'no key of this session decrypts this number'
        USING ERRCODE = 'invalid_parameter_value', HINT = 'during a rotation, send both app.phone_encryption_key and app.new_phone_encryption_key';
END
$function$;

REVOKE ALL ON FUNCTION public.decrypt_customer_phone(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.decrypt_customer_phone(text) TO call_service;

COMMENT ON FUNCTION public.decrypt_customer_phone(text) IS 'Decrypts a stored call_sessions.customer_phone with whichever of the session''s keys opens it (the current one first).';

CREATE OR REPLACE FUNCTION public.customer_phone_lookup_hashes(phone text)
    RETURNS bytea[]
    LANGUAGE plpgsql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN (SELECT pg_catalog.array_agg(public.hmac(public.normalize_swedish_phone(phone), public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone lookup v2'), 'sha256')) FROM public.phone_encryption_session_keys() k);
END
$function$;

REVOKE ALL ON FUNCTION public.customer_phone_lookup_hashes(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.customer_phone_lookup_hashes(text) TO call_service;

COMMENT ON FUNCTION public.customer_phone_lookup_hashes(text) IS 'Every keyed hash call_sessions.customer_phone_hash may hold for a phone number in any accepted format under the session''s keys (two during a rotation).';

CREATE OR REPLACE FUNCTION public.customer_phone_lookup_hash(phone text)
    RETURNS bytea
    LANGUAGE plpgsql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN (SELECT public.hmac(public.normalize_swedish_phone(phone), public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone lookup v2'), 'sha256') FROM public.phone_encryption_session_keys() k ORDER BY k.is_current DESC LIMIT 1);
END
$function$;

REVOKE ALL ON FUNCTION public.customer_phone_lookup_hash(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.customer_phone_lookup_hash(text) TO call_service;

COMMENT ON FUNCTION public.customer_phone_lookup_hash(text) IS 'The keyed hash stored in call_sessions.customer_phone_hash for a phone number in any accepted format under the session''s current key (see customer_phone_lookup_hashes during a rotation).';

CREATE OR REPLACE FUNCTION public.call_sessions_customer_phone_protect()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    normalized text;
    k record;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.customer_phone IS NOT DISTINCT FROM OLD.customer_phone THEN
        NEW.customer_phone_hash := OLD.customer_phone_hash; -- the hash and the generation only ever follow the value
        NEW.customer_phone_key_generation := OLD.customer_phone_key_generation;
        RETURN NEW;
    END IF;
    IF NEW.customer_phone IS NULL THEN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'null value in column "customer_phone" of relation "call_sessions" violates not-null constraint'
                USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'customer_phone';
        END IF;
        NEW.customer_phone_hash := NULL; -- erasure
        RETURN NEW;
    END IF;
    normalized := public.normalize_swedish_phone(NEW.customer_phone);
    SELECT * INTO k FROM public.phone_encryption_session_keys(true) s ORDER BY s.is_current DESC LIMIT 1;
    NEW.customer_phone := pg_catalog.translate(pg_catalog.encode(
        CASE WHEN k.scheme = 1 THEN public.pgp_sym_encrypt(normalized, k.secret, 'cipher-algo=aes256')
             ELSE public.pgp_sym_encrypt(normalized, public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone encryption v2'), 'cipher-algo=aes256, s2k-mode=1') END,
        'base64'), E'\n', '');
    NEW.customer_phone_hash := public.hmac(normalized, public.phone_key_derive(k.secret, k.scheme, 'pgmigrate phone lookup v2'), 'sha256');
    NEW.customer_phone_key_generation := k.generation;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.call_sessions_customer_phone_protect() FROM PUBLIC;

COMMENT ON FUNCTION public.call_sessions_customer_phone_protect() IS 'Normalises, validates and encrypts call_sessions.customer_phone under the session''s current key (else the retiring one); keeps its keyed hash in customer_phone_hash and the key generation in customer_phone_key_generation.';

CREATE OR REPLACE FUNCTION public.phone_key_rotation_begin()
    RETURNS TABLE(retiring_generation integer, current_generation integer, resumed boolean)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    old_key text := pg_catalog.current_setting('app.phone_encryption_key', true);
    new_key text := pg_catalog.current_setting('app.new_phone_encryption_key', true);
    old_check bytea;
    new_check bytea;
    r public.phone_encryption_key_check;
BEGIN
    IF coalesce(old_key, '') = '' OR coalesce(new_key, '') = '' THEN
        RAISE EXCEPTION 'a rotation needs app.phone_encryption_key (the old key) and app.new_phone_encryption_key (the new one)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    old_check := public.hmac('pgmigrate phone encryption key check', old_key, 'sha256');
    new_check := public.hmac('pgmigrate phone encryption key check', new_key, 'sha256');
    SELECT * INTO r FROM public.phone_encryption_key_check FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no phone encryption key is recorded yet: nothing to rotate'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF r.retiring_generation IS NOT NULL THEN
        IF r.retiring_check_value = old_check AND r.check_value = new_check THEN
            retiring_generation := r.retiring_generation; current_generation := r.generation; resumed := true;
            RETURN NEXT;
            RETURN;
        END IF;
        RAISE EXCEPTION 'another key rotation is in progress (its old and new keys are not these)'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'finish it with the same two keys';
    END IF;
    IF r.check_value IS DISTINCT FROM old_check THEN
        RAISE EXCEPTION 'the old phone encryption key is not the key this database''s phone numbers are encrypted with'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE public.phone_encryption_key_check
    SET retiring_check_value = check_value, retiring_generation = r.generation, retiring_scheme = r.scheme,
        check_value = new_check, generation = r.generation + 1, scheme = 2,
        registered_at = pg_catalog.now(), registered_by = CURRENT_USER;
    retiring_generation := r.generation; current_generation := r.generation + 1; resumed := false;
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION public.phone_key_rotation_begin() FROM PUBLIC;

COMMENT ON FUNCTION public.phone_key_rotation_begin() IS 'Starts (or resumes) a rotation from the key in app.phone_encryption_key to the one in app.new_phone_encryption_key: 22023 and no change unless the old key is the current one (or, resuming, the retiring one and the new key the current one).';

CREATE OR REPLACE FUNCTION public.phone_key_rotation_batch(batch_size integer)
    RETURNS integer
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    done integer;
    g integer;
BEGIN
    SELECT c.retiring_generation INTO g FROM public.phone_encryption_key_check c;
    IF g IS NULL THEN
        RETURN 0;
    END IF;
    -- Writing the plain value back lets the trigger encrypt and hash it
    -- under the current key and record its generation in the same row
    -- version: a row is never under two keys, so nothing is encrypted twice.
    WITH batch AS (
        SELECT t.ctid AS row_id FROM public.call_sessions t
        WHERE t.customer_phone IS NOT NULL AND t.customer_phone_key_generation = g
        LIMIT batch_size FOR UPDATE SKIP LOCKED)
    UPDATE public.call_sessions t SET customer_phone = public.decrypt_customer_phone(t.customer_phone, g)
    FROM batch WHERE t.ctid = batch.row_id;
    GET DIAGNOSTICS done = ROW_COUNT;
    RETURN done;
END
$function$;

REVOKE ALL ON FUNCTION public.phone_key_rotation_batch(integer) FROM PUBLIC;

COMMENT ON FUNCTION public.phone_key_rotation_batch(integer) IS 'Re-encrypts up to batch_size values still under the retiring key (rows other transactions hold are skipped for a later batch); returns how many.';

CREATE OR REPLACE FUNCTION public.phone_key_rotation_finish()
    RETURNS boolean
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    r public.phone_encryption_key_check;
BEGIN
    SELECT * INTO r FROM public.phone_encryption_key_check FOR UPDATE;
    IF r.retiring_generation IS NULL THEN
        RETURN true;
    END IF;
    IF EXISTS (SELECT 1 FROM public.call_sessions t WHERE t.customer_phone IS NOT NULL AND t.customer_phone_key_generation = r.retiring_generation) THEN
        RETURN false;
    END IF;
    UPDATE public.phone_encryption_key_check SET retiring_check_value = NULL, retiring_generation = NULL, retiring_scheme = NULL;
    RETURN true;
END
$function$;

REVOKE ALL ON FUNCTION public.phone_key_rotation_finish() FROM PUBLIC;

COMMENT ON FUNCTION public.phone_key_rotation_finish() IS 'Ends a rotation when no value is left under the retiring key (the retiring key is refused from then on); false while some are.';

CREATE OR REPLACE FUNCTION public.call_sessions_status_transition()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IS DISTINCT FROM 'initiated' THEN
            RAISE EXCEPTION 'invalid call_sessions.status on insert: % (a new row starts as initiated)', NEW.status
                USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'status', CONSTRAINT = 'call_sessions_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF (OLD.status = 'initiated' AND NEW.status IN ('connecting', 'failed'))
       OR (OLD.status = 'connecting' AND NEW.status IN ('in_progress', 'failed'))
       OR (OLD.status = 'in_progress' AND NEW.status IN ('completed', 'timeout', 'failed')) THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(1885826353, pg_catalog.hashtext(NEW.id::text));
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invalid call_sessions.status transition: % -> %', OLD.status, NEW.status
        USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'status', CONSTRAINT = 'call_sessions_status_transition',
              HINT = 'allowed transitions: initiated -> connecting, initiated -> failed, connecting -> in_progress, connecting -> failed, in_progress -> completed, in_progress -> timeout, in_progress -> failed';
END
$function$;

REVOKE ALL ON FUNCTION public.call_sessions_status_transition() FROM PUBLIC;

COMMENT ON FUNCTION public.call_sessions_status_transition() IS 'Enforces the call_sessions.status state machine (generated from the model).';

CREATE OR REPLACE FUNCTION public.call_events_rules()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    session_status text;
    session_tenant uuid;
    latest timestamp with time zone;
BEGIN
    -- The rules must see events and status changes committed while this
    -- insert waited for the lock; only READ COMMITTED takes a new snapshot
    -- per statement, so other isolation levels are refused.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'writes to call_events need READ COMMITTED isolation; this transaction is %', pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'the ordering and status rules compare against events committed by other sessions, which an older snapshot cannot see';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1885826353, pg_catalog.hashtext(NEW.call_session_id::text));
    SELECT s.status::text, s.business_id, (SELECT max(e.timestamp) FROM public.call_events e WHERE e.call_session_id = s.id AND e.business_id = NEW.business_id AND e.timestamp > NEW.timestamp) INTO session_status, session_tenant, latest
FROM public.call_sessions s WHERE s.id = NEW.call_session_id AND s.business_id = NEW.business_id;
    IF NOT FOUND THEN
        IF NEW.business_id IS NULL AND NEW.call_session_id IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_call_session_id_fkey'
                USING ERRCODE = 'foreign_key_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                      CONSTRAINT = coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_call_session_id_fkey',
                      DETAIL = 'Key (call_session_id)=(' || NEW.call_session_id || ') is not present in table "call_sessions".';
        END IF;
        RETURN NEW; -- the foreign key (or row-level security) rejects the row
    END IF;
    IF NEW.business_id IS NULL THEN
        NEW.business_id := session_tenant;
    END IF;
    IF session_tenant IS DISTINCT FROM COALESCE(public.get_current_business_id(), session_tenant) THEN
        RETURN NEW; -- another tenant's session: row-level security rejects the row; nothing about the session is told
    END IF;
    IF NOT ((session_status = 'initiated' AND NEW.event_type IN ('initiated', 'connecting', 'failed'))
                     OR (session_status = 'connecting' AND NEW.event_type IN ('connecting', 'answered', 'ai_connected', 'failed'))
                     OR (session_status = 'in_progress' AND NEW.event_type IN ('answered', 'ai_connected', 'question_asked', 'response_received', 'warning_sent', 'timeout', 'completed', 'failed'))
                     OR (session_status = 'completed' AND NEW.event_type IN ('completed'))
                     OR (session_status = 'failed' AND NEW.event_type IN ('failed'))
                     OR (session_status = 'timeout' AND NEW.event_type IN ('timeout'))) THEN
        RAISE EXCEPTION 'invalid call_events.event_type: % is not allowed while the call session is %', NEW.event_type, session_status
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'event_type', CONSTRAINT = 'call_events_event_type_allowed';
    END IF;
    IF latest IS NOT NULL AND NEW.timestamp < latest THEN
        RAISE EXCEPTION 'invalid call_events.timestamp: % is earlier than the session''s latest event (%)', NEW.timestamp, latest
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'timestamp', CONSTRAINT = 'call_events_timestamp_chronological';
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.call_events_rules() FROM PUBLIC;

COMMENT ON FUNCTION public.call_events_rules() IS 'Event type must suit the session status; timestamps never go backwards within a session.';

CREATE OR REPLACE FUNCTION public.anonymize_text(input text)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
SELECT pg_catalog.regexp_replace(
         pg_catalog.regexp_replace(
           pg_catalog.regexp_replace(input,
             '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[e-post]', 'g'),
           '\m(19|20)?[0-9]{6}[-+ ]?[0-9]{4}\M', '[personnummer]', 'g'),
         '(\+46|\m0046)[ -]?(\(0\)[ -]?|0[ -]?)?[1-9]([ /.()-]{0,3}[0-9]){6,8}\M'
         '|\(?\m0[1-9]([ /.()-]{0,3}[0-9]){6,8}\M', '[telefon]', 'g')
$function$;

REVOKE ALL ON FUNCTION public.anonymize_text(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.anonymize_text(text) TO call_service;

COMMENT ON FUNCTION public.anonymize_text(text) IS 'Masks e-mail addresses, personal identity numbers and phone numbers in free text.';

CREATE OR REPLACE FUNCTION public.retention_call_events_archive(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    tenant uuid;
    done integer := 0;
    n integer;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR tenant IN SELECT DISTINCT t.business_id FROM public.call_events t WHERE timestamp < pg_catalog.now() - interval '90 days' LOOP
        RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id, t.tableoid AS rel_id FROM public.call_events t
    WHERE t.business_id = %1$L AND (timestamp < pg_catalog.now() - interval '90 days')
    ORDER BY t.timestamp
    LIMIT %2$s
    FOR UPDATE SKIP LOCKED
), moved AS (
    DELETE FROM public.call_events t WHERE (t.business_id = %1$L AND (timestamp < pg_catalog.now() - interval '90 days')) AND t.business_id = %1$L AND t.ctid = ANY (ARRAY(SELECT row_id FROM batch)) AND ((t.tableoid, t.ctid) IN (SELECT rel_id, row_id FROM batch)) IS TRUE
    RETURNING t.*
)
INSERT INTO public.call_events_archive (id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata, archived_at)
SELECT moved.id, moved.call_session_id, moved.business_id, moved.event_type, moved.event_data, moved.timestamp, moved.source, moved.metadata, pg_catalog.now() FROM moved
RETURNING id, NULL::text
$batch$, tenant, batch_size - done);
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done + n;
        EXIT WHEN done >= batch_size;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.retention_call_events_archive(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.retention_call_events_archive(integer) TO call_service;

COMMENT ON FUNCTION public.retention_call_events_archive(integer) IS 'Retention rule call_events_archive: Call events older than 90 days are archived. One batch per call, taken tenant by tenant (Citus).';

CREATE OR REPLACE FUNCTION public.retention_telephony_provider_logs_purge(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    tenant uuid;
    done integer := 0;
    n integer;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR tenant IN SELECT DISTINCT t.business_id FROM public.telephony_provider_logs t WHERE created_at < pg_catalog.now() - interval '30 days' LOOP
        RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id, t.tableoid AS rel_id FROM public.telephony_provider_logs t
    WHERE t.business_id = %1$L AND (created_at < pg_catalog.now() - interval '30 days')
    ORDER BY t.created_at
    LIMIT %2$s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM public.telephony_provider_logs t WHERE (t.business_id = %1$L AND (created_at < pg_catalog.now() - interval '30 days')) AND t.business_id = %1$L AND t.ctid = ANY (ARRAY(SELECT row_id FROM batch)) AND ((t.tableoid, t.ctid) IN (SELECT rel_id, row_id FROM batch)) IS TRUE
RETURNING t.id, NULL::text
$batch$, tenant, batch_size - done);
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done + n;
        EXIT WHEN done >= batch_size;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.retention_telephony_provider_logs_purge(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.retention_telephony_provider_logs_purge(integer) TO call_service;

COMMENT ON FUNCTION public.retention_telephony_provider_logs_purge(integer) IS 'Retention rule telephony_provider_logs_purge: Telephony provider logs older than 30 days are purged. One batch per call, taken tenant by tenant (Citus).';

CREATE OR REPLACE FUNCTION public.retention_failed_call_sessions_purge(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    tenant uuid;
    done integer := 0;
    n integer;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR tenant IN SELECT DISTINCT t.business_id FROM public.call_sessions t WHERE created_at < pg_catalog.now() - interval '7 days' AND status = 'failed'::public.call_status LOOP
        RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id FROM public.call_sessions t
    WHERE t.business_id = %1$L AND (created_at < pg_catalog.now() - interval '7 days' AND status = 'failed'::public.call_status)
    ORDER BY t.created_at
    LIMIT %2$s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM public.call_sessions t WHERE t.business_id = %1$L AND t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
RETURNING t.id, NULL::text
$batch$, tenant, batch_size - done);
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done + n;
        EXIT WHEN done >= batch_size;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.retention_failed_call_sessions_purge(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.retention_failed_call_sessions_purge(integer) TO call_service;

COMMENT ON FUNCTION public.retention_failed_call_sessions_purge(integer) IS 'Retention rule failed_call_sessions_purge: Failed call sessions older than 7 days are purged with their dependents. One batch per call, taken tenant by tenant (Citus).';

CREATE OR REPLACE FUNCTION public.retention_call_recordings_clear(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    tenant uuid;
    done integer := 0;
    n integer;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR tenant IN SELECT DISTINCT t.business_id FROM public.call_sessions t WHERE created_at < pg_catalog.now() - interval '30 days' AND recording_url IS NOT NULL LOOP
        RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id, t.id, t.recording_url::text AS old_value FROM public.call_sessions t
    WHERE t.business_id = %1$L AND (created_at < pg_catalog.now() - interval '30 days' AND recording_url IS NOT NULL)
    ORDER BY t.created_at
    LIMIT %2$s
    FOR UPDATE SKIP LOCKED
), changed AS (
    UPDATE public.call_sessions t SET recording_url = NULL WHERE t.business_id = %1$L AND t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
    RETURNING t.id
)
SELECT changed.id, batch.old_value FROM changed JOIN batch ON batch.id = changed.id
$batch$, tenant, batch_size - done);
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done + n;
        EXIT WHEN done >= batch_size;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.retention_call_recordings_clear(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.retention_call_recordings_clear(integer) TO call_service;

COMMENT ON FUNCTION public.retention_call_recordings_clear(integer) IS 'Retention rule call_recordings_clear: Call recordings are deleted after 30 days (GDPR): the URL is cleared and reported. One batch per call, taken tenant by tenant (Citus).';

CREATE OR REPLACE FUNCTION public.retention_call_transcripts_anonymize(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    tenant uuid;
    done integer := 0;
    n integer;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR tenant IN SELECT DISTINCT t.business_id FROM public.call_sessions t WHERE created_at < pg_catalog.now() - interval '30 days' AND transcript IS NOT NULL AND transcript_anonymized_at IS NULL LOOP
        RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id FROM public.call_sessions t
    WHERE t.business_id = %1$L AND (created_at < pg_catalog.now() - interval '30 days' AND transcript IS NOT NULL AND transcript_anonymized_at IS NULL)
    ORDER BY t.created_at
    LIMIT %2$s
    FOR UPDATE SKIP LOCKED
)
UPDATE public.call_sessions t
SET transcript = public.anonymize_text(t.transcript), transcript_anonymized_at = pg_catalog.now()
WHERE t.business_id = %1$L AND t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
RETURNING t.id, NULL::text
$batch$, tenant, batch_size - done);
        GET DIAGNOSTICS n = ROW_COUNT;
        done := done + n;
        EXIT WHEN done >= batch_size;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION public.retention_call_transcripts_anonymize(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.retention_call_transcripts_anonymize(integer) TO call_service;

COMMENT ON FUNCTION public.retention_call_transcripts_anonymize(integer) IS 'Retention rule call_transcripts_anonymize: Transcripts are anonymised for long-term storage (e-mail, personnummer and phone numbers masked). One batch per call, taken tenant by tenant (Citus).';

CREATE OR REPLACE FUNCTION public.erase_customer_data(phone text)
    RETURNS TABLE(sessions integer, responses integer, events integer, archived_events integer, provider_logs integer)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    targets bytea[] := public.customer_phone_lookup_hashes(phone);
    ids uuid[];
    tenant uuid;
BEGIN
    ids := '{}';
    FOR tenant IN SELECT DISTINCT r.business_id FROM public.call_sessions r WHERE r.customer_phone_hash = ANY (targets) LOOP
        ids := ids || ARRAY(SELECT r.id FROM public.call_sessions r WHERE r.business_id = tenant AND r.customer_phone_hash = ANY (targets) FOR UPDATE);
    END LOOP;
    sessions := pg_catalog.cardinality(ids);
    IF sessions = 0 THEN
        -- (A wrong key never gets here: the lookup hash refuses it, 22023.)
        responses := 0; events := 0; archived_events := 0; provider_logs := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    UPDATE public.call_sessions SET customer_phone = NULL, transcript = NULL, recording_url = NULL
    WHERE id = ANY (ids);
    UPDATE public.call_responses SET response_text = '', ai_analysis = NULL
    WHERE call_session_id = ANY (ids);
    GET DIAGNOSTICS responses = ROW_COUNT;
    UPDATE public.call_events SET event_data = '{}'::jsonb, metadata = NULL
    WHERE call_session_id = ANY (ids);
    GET DIAGNOSTICS events = ROW_COUNT;
    UPDATE public.call_events_archive SET event_data = '{}'::jsonb, metadata = NULL
    WHERE call_session_id = ANY (ids);
    GET DIAGNOSTICS archived_events = ROW_COUNT;
    UPDATE public.telephony_provider_logs
    SET request_payload = '{}'::jsonb, response_payload = '{}'::jsonb,
        error_message = CASE WHEN success THEN NULL ELSE '[erased]' END
    WHERE call_session_id = ANY (ids);
    GET DIAGNOSTICS provider_logs = ROW_COUNT;
    INSERT INTO public.gdpr_erasure_log (sessions, responses, events, archived_events, provider_logs)
    VALUES (sessions, responses, events, archived_events, provider_logs);
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION public.erase_customer_data(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.erase_customer_data(text) TO call_service;

COMMENT ON FUNCTION public.erase_customer_data(text) IS 'GDPR Article 17: erases the personal data of the customer with this phone number (any accepted format); needs app.phone_encryption_key (during a key rotation also app.new_phone_encryption_key). Idempotent.';

CREATE OR REPLACE FUNCTION public.set_current_business(tenant uuid)
    RETURNS void
    LANGUAGE plpgsql
    VOLATILE
AS $function$
BEGIN
    SET LOCAL citus.propagate_set_commands TO 'local';
    EXECUTE pg_catalog.format('SET LOCAL %I TO %L', 'app.current_business_id', coalesce(tenant::text, ''));
    IF pg_catalog.current_setting('app.phone_encryption_key', true) <> '' THEN
        EXECUTE pg_catalog.format('SET LOCAL %I TO %L', 'app.phone_encryption_key', pg_catalog.current_setting('app.phone_encryption_key'));
    END IF;
    IF pg_catalog.current_setting('app.new_phone_encryption_key', true) <> '' THEN
        EXECUTE pg_catalog.format('SET LOCAL %I TO %L', 'app.new_phone_encryption_key', pg_catalog.current_setting('app.new_phone_encryption_key'));
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION public.set_current_business(uuid) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION public.set_current_business(uuid) TO call_service;

GRANT EXECUTE ON FUNCTION public.set_current_business(uuid) TO business_app;

COMMENT ON FUNCTION public.set_current_business(uuid) IS 'Sets app.current_business_id (NULL: none) for the current transaction on the coordinator and every worker (Citus), and forwards app.phone_encryption_key, app.new_phone_encryption_key when set: call it inside BEGIN … COMMIT before the first query.';

-- Triggers

SET LOCAL citus.enable_unsafe_triggers TO on;

CREATE TRIGGER call_sessions_customer_phone_protect
    BEFORE INSERT OR UPDATE OF customer_phone, customer_phone_hash, customer_phone_key_generation ON public.call_sessions
    FOR EACH ROW
    EXECUTE FUNCTION public.call_sessions_customer_phone_protect();

COMMENT ON TRIGGER call_sessions_customer_phone_protect ON public.call_sessions IS 'Encrypts the customer phone number at rest.';

CREATE TRIGGER call_sessions_set_updated_at
    BEFORE UPDATE ON public.call_sessions
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();

COMMENT ON TRIGGER call_sessions_set_updated_at ON public.call_sessions IS 'Maintains updated_at.';

CREATE TRIGGER call_sessions_status_transition
    BEFORE INSERT OR UPDATE OF status ON public.call_sessions
    FOR EACH ROW
    EXECUTE FUNCTION public.call_sessions_status_transition();

COMMENT ON TRIGGER call_sessions_status_transition ON public.call_sessions IS 'Status changes must follow the state machine.';

CREATE TRIGGER question_configurations_set_updated_at
    BEFORE UPDATE ON public.question_configurations
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();

COMMENT ON TRIGGER question_configurations_set_updated_at ON public.question_configurations IS 'Maintains updated_at.';

CREATE TRIGGER call_events_rules
    BEFORE INSERT OR UPDATE OF call_session_id, event_type, timestamp ON public.call_events
    FOR EACH ROW
    EXECUTE FUNCTION public.call_events_rules();

COMMENT ON TRIGGER call_events_rules ON public.call_events IS 'Event type and ordering rules (generated from the model).';

CREATE TRIGGER call_responses_business_id_default
    BEFORE INSERT ON public.call_responses
    FOR EACH ROW
    WHEN (NEW.business_id IS NULL)
    EXECUTE FUNCTION public.set_business_id_from_call_sessions();

COMMENT ON TRIGGER call_responses_business_id_default ON public.call_responses IS 'Fills business_id from the call_sessions row when the insert omits it.';

CREATE TRIGGER telephony_provider_logs_business_id_default
    BEFORE INSERT ON public.telephony_provider_logs
    FOR EACH ROW
    WHEN (NEW.business_id IS NULL)
    EXECUTE FUNCTION public.set_business_id_from_call_sessions();

COMMENT ON TRIGGER telephony_provider_logs_business_id_default ON public.telephony_provider_logs IS 'Fills business_id from the call_sessions row when the insert omits it.';

CREATE TRIGGER call_events_archive_business_id_default
    BEFORE INSERT ON public.call_events_archive
    FOR EACH ROW
    WHEN (NEW.business_id IS NULL)
    EXECUTE FUNCTION public.set_business_id_from_call_sessions();

COMMENT ON TRIGGER call_events_archive_business_id_default ON public.call_events_archive IS 'Fills business_id from the call_sessions row when the insert omits it.';

-- Row-level security

ALTER TABLE public.call_sessions ENABLE ROW LEVEL SECURITY;

CREATE POLICY call_sessions_business_isolation ON public.call_sessions
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY call_sessions_business_isolation ON public.call_sessions IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY call_sessions_system_access ON public.call_sessions
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY call_sessions_system_access ON public.call_sessions IS 'The system service reads and writes all rows.';

ALTER TABLE public.question_configurations ENABLE ROW LEVEL SECURITY;

CREATE POLICY question_configurations_business_isolation ON public.question_configurations
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY question_configurations_business_isolation ON public.question_configurations IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY question_configurations_system_access ON public.question_configurations
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY question_configurations_system_access ON public.question_configurations IS 'The system service reads and writes all rows.';

ALTER TABLE public.call_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY call_events_business_isolation ON public.call_events
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY call_events_business_isolation ON public.call_events IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY call_events_system_access ON public.call_events
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY call_events_system_access ON public.call_events IS 'The system service reads and writes all rows.';

ALTER TABLE public.call_responses ENABLE ROW LEVEL SECURITY;

CREATE POLICY call_responses_business_isolation ON public.call_responses
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY call_responses_business_isolation ON public.call_responses IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY call_responses_system_access ON public.call_responses
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY call_responses_system_access ON public.call_responses IS 'The system service reads and writes all rows.';

ALTER TABLE public.question_selection_logs ENABLE ROW LEVEL SECURITY;

CREATE POLICY question_selection_logs_business_isolation ON public.question_selection_logs
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY question_selection_logs_business_isolation ON public.question_selection_logs IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY question_selection_logs_system_access ON public.question_selection_logs
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY question_selection_logs_system_access ON public.question_selection_logs IS 'The system service reads and writes all rows.';

ALTER TABLE public.telephony_provider_logs ENABLE ROW LEVEL SECURITY;

CREATE POLICY telephony_provider_logs_business_isolation ON public.telephony_provider_logs
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY telephony_provider_logs_business_isolation ON public.telephony_provider_logs IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY telephony_provider_logs_system_access ON public.telephony_provider_logs
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY telephony_provider_logs_system_access ON public.telephony_provider_logs IS 'The system service reads and writes all rows.';

ALTER TABLE public.call_events_archive ENABLE ROW LEVEL SECURITY;

CREATE POLICY call_events_archive_business_isolation ON public.call_events_archive
    AS PERMISSIVE
    FOR ALL
    TO business_app
    USING (business_id = public.get_current_business_id())
    WITH CHECK (business_id = public.get_current_business_id());

COMMENT ON POLICY call_events_archive_business_isolation ON public.call_events_archive IS 'A tenant reads and writes only rows of its own business.';

CREATE POLICY call_events_archive_system_access ON public.call_events_archive
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY call_events_archive_system_access ON public.call_events_archive IS 'The system service reads and writes all rows.';

ALTER TABLE public.gdpr_erasure_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY gdpr_erasure_log_system_access ON public.gdpr_erasure_log
    AS PERMISSIVE
    FOR ALL
    TO call_service
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY gdpr_erasure_log_system_access ON public.gdpr_erasure_log IS 'Only the system service reads or writes the erasure audit.';

ALTER TABLE public.phone_encryption_key_check ENABLE ROW LEVEL SECURITY;

-- Privileges

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_sessions TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_sessions TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.question_configurations TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.question_configurations TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_events TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_events TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_responses TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_responses TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.question_selection_logs TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.question_selection_logs TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.telephony_provider_logs TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.telephony_provider_logs TO business_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_events_archive TO call_service;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.call_events_archive TO business_app;

GRANT SELECT, INSERT ON TABLE public.gdpr_erasure_log TO call_service;
