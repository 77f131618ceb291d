// Type tests for the generated types/call-feedback.ts: scripts/test.sh
// compiles this file beside the module with `tsc --strict`, then runs it
// with node. Every `// @ts-expect-error` line must fail to compile (tsc
// reports an unused directive otherwise), so the types are shown to bite;
// the checks at the end run the generated functions.
import {
  CallEventsInsert,
  CallEventsInsertWhile,
  CallEventsUpdate,
  CallSessionsInsert,
  CallSessionsRow,
  CallSessionsUpdate,
  CallSessionsUpdateFrom,
  CallStatus,
  GdprErasureLogInsert,
  QuestionConfigurationsInsert,
  Tables,
  callEventTypeAccepted,
  callStatusInitial,
  callStatusLabels,
  callStatusTerminal,
  callStatusTransitions,
  isCallEventTypeAccepted,
  isCallStatusChangeAllowed,
} from "../../types/call-feedback";

const business = "6f1c1c52-3c8e-4a43-9b0e-2f5a1f0b9a11";
const verification = "0b3a2f5e-7c1d-4e8a-b7a0-5d9c3e2f1a44";
const session = "d2a1e0c9-8b7a-4c6d-9e5f-4a3b2c1d0e99";

// A valid insert compiles: the plaintext number, the required columns, nothing else.
const newSession: CallSessionsInsert = { business_id: business, verification_id: verification, customer_phone: "070-123 45 67" };

// Optional columns, typed as node-postgres maps them.
const fullSession: CallSessionsInsert = {
  ...newSession,
  status: "initiated",
  started_at: new Date(),
  cost_estimate: "1.2500",
  questions_asked: ["c4f6a2e0-1111-4222-8333-944455556666"],
  duration_seconds: null,
};

// The transitions have the shape.
const transitions: { readonly [S in CallStatus]: readonly CallStatus[] } = callStatusTransitions;

// An unknown status does not compile.
// @ts-expect-error "archived" is not a call_status label
const unknownStatus: CallStatus = "archived";

// A new session starts as initiated.
// @ts-expect-error the state machine refuses a session that starts completed
const startsCompleted: CallSessionsInsert = { ...newSession, status: "completed" };

// A missing required column does not compile.
// @ts-expect-error verification_id is required
const missingColumn: CallSessionsInsert = { business_id: business, customer_phone: "0701234567" };

// The phone number is required on insert even though the column is nullable (the trigger refuses NULL).
// @ts-expect-error customer_phone is required and takes the plaintext
const missingPhone: CallSessionsInsert = { business_id: business, verification_id: verification };

// A misspelt column does not compile.
// @ts-expect-error bussiness_id is no column
const misspelt: CallSessionsInsert = { ...newSession, bussiness_id: business };

// @ts-expect-error stauts is no column
const misspeltUpdate: CallSessionsUpdate = { stauts: "failed" };

// The lookup hash is the trigger's: never inserted or updated.
// @ts-expect-error customer_phone_hash is computed from the number
const withHash: CallSessionsInsert = { ...newSession, customer_phone_hash: new Uint8Array(32) };

// A row read back cannot be inserted again as it is: it holds the ciphertext and the hash.
function reinsert(row: CallSessionsRow): CallSessionsInsert {
  // @ts-expect-error a Row is not an Insert
  return row;
}

// Trigger-maintained and identity columns are not updated.
// @ts-expect-error updated_at is set by a trigger
const touch: CallSessionsUpdate = { updated_at: new Date() };
// @ts-expect-error the primary key is a row's identity
const rekey: CallSessionsUpdate = { id: session };

// The child's business_id is filled in from the session on insert, and follows it on update.
const event: CallEventsInsert = { call_session_id: session, event_type: "initiated", source: "system" };
// @ts-expect-error business_id follows the session
const moveEvent: CallEventsUpdate = { business_id: business };

// A status change from a known status follows the state machine.
const answer: CallSessionsUpdateFrom<"connecting"> = { status: "in_progress", connected_at: new Date() };
// @ts-expect-error completed is terminal: no way back to in_progress
const reopen: CallSessionsUpdateFrom<"completed"> = { status: "in_progress" };

// Event types per session status.
const asked: CallEventsInsertWhile<"in_progress"> = { call_session_id: session, event_type: "question_asked", source: "ai" };
// @ts-expect-error a completed session accepts only the completed event
const lateQuestion: CallEventsInsertWhile<"completed"> = { call_session_id: session, event_type: "question_asked", source: "ai" };
// @ts-expect-error hung_up is not a call_event_type label
const wrongEventType: CallEventsInsert = { call_session_id: session, event_type: "hung_up", source: "ai" };

// JSONB typed from the CHECKs: department_tags is a non-empty array of strings.
const question: QuestionConfigurationsInsert = {
  business_id: business,
  question_text: "Hur nöjd var du med besöket?",
  frequency: 10,
  department_tags: ["kassa"],
};
// @ts-expect-error department_tags may not be empty
const noTags: QuestionConfigurationsInsert = { ...question, department_tags: [] };
// @ts-expect-error department_tags holds strings
const numberTags: QuestionConfigurationsInsert = { ...question, department_tags: [1] };
// @ts-expect-error event_data is a JSON object, not a string
const stringData: CallEventsInsert = { ...event, event_data: "answered" };
// @ts-expect-error an array is not a JSON object either
const arrayData: CallEventsInsert = { ...event, event_data: ["answered"] };

// The erasure log is only inserted into.
const erasure: GdprErasureLogInsert = { sessions: 1, responses: 2, events: 3, archived_events: 0, provider_logs: 1 };
// @ts-expect-error no role may update the erasure log
const erasureUpdate: Tables["gdpr_erasure_log"]["Update"] = { sessions: 0 };

// The generated functions agree with the data.
function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error("type test failed: " + what);
}
expect(callStatusLabels.length === 6 && callStatusLabels[0] === callStatusInitial, "labels in database order");
expect(isCallStatusChangeAllowed("initiated", "connecting"), "initiated -> connecting");
expect(isCallStatusChangeAllowed("completed", "completed"), "keeping a status");
expect(!isCallStatusChangeAllowed("completed", "in_progress"), "completed -> in_progress is refused");
expect(callStatusTerminal.every((s) => callStatusTransitions[s].length === 0), "terminal states have no way out");
expect(isCallEventTypeAccepted("in_progress", "question_asked"), "question_asked while in progress");
expect(!isCallEventTypeAccepted("completed", "question_asked"), "question_asked after completion is refused");
expect(callEventTypeAccepted.completed.length === 1, "a completed session accepts one event type");

export const used = [newSession, fullSession, transitions, unknownStatus, startsCompleted, missingColumn, missingPhone, misspelt,
  misspeltUpdate, withHash, reinsert, touch, rekey, event, moveEvent, answer, reopen, asked, lateQuestion, wrongEventType, question,
  noTags, numberTags, stringData, arrayData, erasure, erasureUpdate];
console.log("call-feedback type tests: " + used.length + " values checked, 8 runtime checks passed");
