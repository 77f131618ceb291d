-- The call-feedback schema, generated from the Swift model in Sources/SchemaModel.
-- Do not edit by hand: change the model, run `pgmigrate generate`, review the diff.
-- CI runs `pgmigrate generate --check`, which fails when this file and the model disagree.
-- Objects: 6 tables, 6 enum types, 0 functions, 137 statements.

-- Extensions

CREATE EXTENSION IF NOT EXISTS pgcrypto;

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
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT call_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT call_sessions_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT,
    CONSTRAINT call_sessions_verification_id_fkey FOREIGN KEY (verification_id) REFERENCES public.customer_verifications (id) ON DELETE RESTRICT,
    CONSTRAINT call_sessions_duration_seconds_range CHECK (duration_seconds >= 0 AND duration_seconds <= 120),
    CONSTRAINT call_sessions_cost_estimate_non_negative CHECK (cost_estimate >= 0),
    CONSTRAINT call_sessions_questions_asked_is_array CHECK (jsonb_typeof(questions_asked) = 'array'),
    CONSTRAINT call_sessions_connected_after_start CHECK (connected_at >= started_at),
    CONSTRAINT call_sessions_ended_after_start CHECK (ended_at >= started_at),
    CONSTRAINT call_sessions_ended_after_connect CHECK (ended_at >= connected_at)
);

COMMENT ON TABLE public.call_sessions IS 'An individual AI-powered call session.';
COMMENT ON COLUMN public.call_sessions.id IS 'Primary key.';
COMMENT ON COLUMN public.call_sessions.business_id IS 'The business the call is made for.';
COMMENT ON COLUMN public.call_sessions.customer_phone IS 'Customer''s Swedish phone number, encrypted at rest; NULL only after GDPR erasure.';
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
COMMENT ON COLUMN public.call_sessions.created_at IS 'When the row was created.';
COMMENT ON COLUMN public.call_sessions.updated_at IS 'When the row was last updated.';
COMMENT ON CONSTRAINT call_sessions_duration_seconds_range ON public.call_sessions IS 'A call lasts at most 2 minutes.';
COMMENT ON CONSTRAINT call_sessions_cost_estimate_non_negative ON public.call_sessions IS 'Cost estimate must be non-negative.';
COMMENT ON CONSTRAINT call_sessions_questions_asked_is_array ON public.call_sessions IS 'questions_asked is a JSON array.';
COMMENT ON CONSTRAINT call_sessions_connected_after_start ON public.call_sessions IS 'A call cannot connect before it started.';
COMMENT ON CONSTRAINT call_sessions_ended_after_start ON public.call_sessions IS 'A call cannot end before it started.';
COMMENT ON CONSTRAINT call_sessions_ended_after_connect ON public.call_sessions IS 'A call cannot end before it connected.';

CREATE INDEX idx_call_sessions_business_status ON public.call_sessions (business_id, status);

CREATE INDEX idx_call_sessions_created_at ON public.call_sessions (created_at);

CREATE INDEX idx_call_sessions_verification_id ON public.call_sessions (verification_id);

COMMENT ON INDEX public.idx_call_sessions_verification_id IS 'Covers the foreign key to customer_verifications.';

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
    CONSTRAINT question_configurations_pkey PRIMARY KEY (id),
    CONSTRAINT question_configurations_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT,
    CONSTRAINT question_configurations_question_text_length CHECK (char_length(question_text) >= 10 AND char_length(question_text) <= 500),
    CONSTRAINT question_configurations_frequency_range CHECK (frequency >= 1 AND frequency <= 100),
    CONSTRAINT question_configurations_active_period_valid CHECK (active_from <= active_until),
    CONSTRAINT question_configurations_department_tags_non_empty_array CHECK (jsonb_typeof(department_tags) = 'array' AND jsonb_array_length(department_tags) > 0 AND NOT jsonb_path_exists(department_tags, '$[*] ? (@.type() != "string")')),
    CONSTRAINT question_configurations_max_response_time_range CHECK (max_response_time >= 1 AND max_response_time <= 60),
    CONSTRAINT question_configurations_follow_up_prompts_is_array CHECK (jsonb_typeof(follow_up_prompts) = 'array')
);

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

CREATE INDEX idx_question_configs_business_active ON public.question_configurations (business_id, is_active);

CREATE TABLE public.call_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
    event_type public.call_event_type NOT NULL,
    event_data jsonb DEFAULT '{}'::jsonb NOT NULL,
    timestamp timestamp with time zone DEFAULT now() NOT NULL,
    source public.call_event_source NOT NULL,
    metadata jsonb,
    CONSTRAINT call_events_pkey PRIMARY KEY (id),
    CONSTRAINT call_events_call_session_id_fkey FOREIGN KEY (call_session_id) REFERENCES public.call_sessions (id) ON DELETE CASCADE,
    CONSTRAINT call_events_event_data_is_object CHECK (jsonb_typeof(event_data) = 'object'),
    CONSTRAINT call_events_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE public.call_events IS 'Log of events during a call''s lifecycle.';
COMMENT ON COLUMN public.call_events.id IS 'Primary key.';
COMMENT ON COLUMN public.call_events.call_session_id IS 'The call session the event belongs to.';
COMMENT ON COLUMN public.call_events.event_type IS 'What happened.';
COMMENT ON COLUMN public.call_events.event_data IS 'Event-specific JSON object.';
COMMENT ON COLUMN public.call_events.timestamp IS 'When the event occurred; never earlier than the session''s previous event.';
COMMENT ON COLUMN public.call_events.source IS 'Where the event came from.';
COMMENT ON COLUMN public.call_events.metadata IS 'Additional event metadata (JSON object).';
COMMENT ON CONSTRAINT call_events_event_data_is_object ON public.call_events IS 'event_data is a JSON object.';
COMMENT ON CONSTRAINT call_events_metadata_is_object ON public.call_events IS 'metadata is a JSON object.';

CREATE INDEX idx_call_events_session_timestamp ON public.call_events (call_session_id, timestamp);

CREATE TABLE public.call_responses (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
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
    CONSTRAINT call_responses_pkey PRIMARY KEY (id),
    CONSTRAINT call_responses_call_session_id_fkey FOREIGN KEY (call_session_id) REFERENCES public.call_sessions (id) ON DELETE CASCADE,
    CONSTRAINT call_responses_question_id_fkey FOREIGN KEY (question_id) REFERENCES public.question_configurations (id) ON DELETE RESTRICT,
    CONSTRAINT call_responses_response_duration_range CHECK (response_duration >= 0 AND response_duration <= 60),
    CONSTRAINT call_responses_confidence_score_range CHECK (confidence_score >= 0 AND confidence_score <= 1),
    CONSTRAINT call_responses_sentiment_score_range CHECK (sentiment_score >= -1 AND sentiment_score <= 1),
    CONSTRAINT call_responses_responded_after_asked CHECK (asked_at <= responded_at),
    CONSTRAINT call_responses_ai_analysis_is_object CHECK (jsonb_typeof(ai_analysis) = 'object')
);

COMMENT ON TABLE public.call_responses IS 'Customer responses to specific questions.';
COMMENT ON COLUMN public.call_responses.id IS 'Primary key.';
COMMENT ON COLUMN public.call_responses.call_session_id IS 'The call session the response was given in.';
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

CREATE INDEX idx_call_responses_session ON public.call_responses (call_session_id);

CREATE INDEX idx_call_responses_question_id ON public.call_responses (question_id);

COMMENT ON INDEX public.idx_call_responses_question_id IS 'Covers the foreign key to question_configurations.';

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
    CONSTRAINT question_selection_logs_pkey PRIMARY KEY (id),
    CONSTRAINT question_selection_logs_business_id_fkey FOREIGN KEY (business_id) REFERENCES public.businesses (id) ON DELETE RESTRICT,
    CONSTRAINT question_selection_logs_customer_count_positive CHECK (customer_count > 0),
    CONSTRAINT question_selection_logs_selected_questions_is_array CHECK (jsonb_typeof(selected_questions) = 'array'),
    CONSTRAINT question_selection_logs_selection_algorithm_not_blank CHECK (btrim(selection_algorithm) <> ''),
    CONSTRAINT question_selection_logs_selection_criteria_is_object CHECK (jsonb_typeof(selection_criteria) = 'object'),
    CONSTRAINT question_selection_logs_time_budget_range CHECK (time_budget_seconds >= 60 AND time_budget_seconds <= 120),
    CONSTRAINT question_selection_logs_estimated_duration_within_budget CHECK (estimated_duration >= 0 AND estimated_duration <= time_budget_seconds)
);

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

CREATE INDEX idx_question_selection_business_time ON public.question_selection_logs (business_id, created_at);

CREATE TABLE public.telephony_provider_logs (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    call_session_id uuid NOT NULL,
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
    CONSTRAINT telephony_provider_logs_pkey PRIMARY KEY (id),
    CONSTRAINT telephony_provider_logs_call_session_id_fkey FOREIGN KEY (call_session_id) REFERENCES public.call_sessions (id) ON DELETE CASCADE,
    CONSTRAINT telephony_provider_logs_status_code_valid_http CHECK (status_code >= 100 AND status_code <= 599),
    CONSTRAINT telephony_provider_logs_latency_ms_non_negative CHECK (latency_ms >= 0),
    CONSTRAINT telephony_provider_logs_error_message_required_on_failure CHECK (success OR (error_message IS NOT NULL AND btrim(error_message) <> ''))
);

COMMENT ON TABLE public.telephony_provider_logs IS 'Telephony provider interactions and metrics.';
COMMENT ON COLUMN public.telephony_provider_logs.id IS 'Primary key.';
COMMENT ON COLUMN public.telephony_provider_logs.call_session_id IS 'The call session the interaction belongs to.';
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

CREATE INDEX idx_telephony_provider_logs_session ON public.telephony_provider_logs (call_session_id);

COMMENT ON INDEX public.idx_telephony_provider_logs_session IS 'Covers the foreign key to call_sessions.';
