import Foundation
import PQClient
import SchemaModel

/// The one set-up every integration-test fixture family shares: the
/// call-feedback model's migration, one phone encryption key (set with a
/// parameter, never in statement text), and status paths derived from the
/// model's state machine.
enum TestModel {
    static let phoneKey = "test-key-2f6c1e9a4b7d4c0e8a5f3b2d1c0e9f8a"
    /// A fixed instant for tests of chronological rules.
    static let t0 = "2025-09-22 10:00:00+00"

    /// The migration the model renders, as committed in sql/.
    static var migrationSQL: String { GeneratedMigration.initial(CallFeedbackSchema.catalog()).contents }

    static func applySchema(_ connection: Connection) throws {
        try connection.executeScript(migrationSQL)
    }

    /// Sets the phone key for the session (the triggers need it).
    static func useKey(_ connection: Connection) throws {
        try connection.execute(
            "SELECT pg_catalog.set_config($1, $2, false)", [CallFeedbackSchema.phoneKeySetting, phoneKey])
    }

    /// The call status path from `initiated` to each status, from the state machine.
    static let statusPaths: [String: [String]] = {
        let machine = CallFeedbackSchema.rules().stateMachine
        var paths: [String: [String]] = [:]
        for state in machine.states { paths[state] = machine.path(to: state) }
        return paths
    }()
}
