-- Demo data for scripts/demo.sh: two businesses and four calls, backdated so
-- that every retention rule has work. One customer called both businesses
-- (070-123 45 67, written 0701234567 the second time). Run as the table owner after
-- `pgmigrate migrate`; every row goes through the generated triggers, so the
-- calls walk the status state machine and their events follow the rules.
\set ON_ERROR_STOP on
\set QUIET on
-- The phone key comes in the connection's startup options (scripts/demo.sh sets
-- PGOPTIONS), never as statement text: see the README's Keys section.

INSERT INTO businesses (id) VALUES
    ('a0000000-0000-4000-8000-000000000000'),  -- business A
    ('b0000000-0000-4000-8000-000000000000');  -- business B
INSERT INTO customer_verifications (id) VALUES ('c0000000-0000-4000-8000-000000000000');

-- One call: created $2 ago for business $1, answered, one question, then $3.
CREATE FUNCTION pg_temp.demo_call(id uuid, business uuid, phone text, age interval, outcome call_status,
                                  transcript text, recording text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := now() - age;
BEGIN
    INSERT INTO call_sessions (id, business_id, customer_phone, verification_id, started_at, created_at)
    VALUES (id, business, phone, 'c0000000-0000-4000-8000-000000000000', t0, t0);
    INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (id, 'initiated', 'system', t0);
    IF outcome = 'failed' THEN
        INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (id, 'failed', 'telephony', t0 + interval '20 s');
        UPDATE call_sessions SET status = 'failed', ended_at = t0 + interval '20 s' WHERE call_sessions.id = demo_call.id;
        RETURN;
    END IF;
    UPDATE call_sessions SET status = 'connecting' WHERE call_sessions.id = demo_call.id;
    INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES (id, 'answered', 'telephony', t0 + interval '5 s');
    UPDATE call_sessions SET status = 'in_progress', connected_at = t0 + interval '5 s' WHERE call_sessions.id = demo_call.id;
    INSERT INTO call_events (call_session_id, event_type, source, timestamp, event_data) VALUES
        (id, 'question_asked', 'ai', t0 + interval '10 s', '{"question": "Hur nöjd var du med besöket?"}'),
        (id, 'response_received', 'customer', t0 + interval '30 s', '{"seconds": 20}'),
        (id, outcome::text::call_event_type, 'system', t0 + interval '60 s', '{}');
    UPDATE call_sessions SET status = outcome, ended_at = t0 + interval '60 s', duration_seconds = 55,
                             transcript = demo_call.transcript, recording_url = recording
    WHERE call_sessions.id = demo_call.id;
    INSERT INTO telephony_provider_logs (call_session_id, provider, provider_call_id, operation, request_payload,
                                         response_payload, status_code, latency_ms, success, created_at)
    VALUES (id, '46elks', 'demo-' || id, 'initiate', '{"to": "hidden"}', '{"ok": true}', 200, 87, true, t0);
END
$$;

SELECT pg_temp.demo_call('a1000000-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000000',
                         '070-123 45 67', interval '100 days', 'completed',
                         'Kund: Mycket nöjd. Ring mig på 070-123 45 67 eller skriv till anna@example.se.',
                         'https://recordings.example/a1.wav');
SELECT pg_temp.demo_call('a2000000-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000000',
                         '+46 70 765 43 21', interval '10 days', 'failed', NULL, NULL);
SELECT pg_temp.demo_call('b1000000-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-000000000000',
                         '0046 8 123 456 78', interval '40 days', 'completed',
                         'Kund: Bra, men kön var lång. Mitt personnummer är 19850101-1234.',
                         'https://recordings.example/b1.wav');
SELECT pg_temp.demo_call('b2000000-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-000000000000',
                         '0701234567', interval '2 hours', 'timeout', NULL, NULL);
