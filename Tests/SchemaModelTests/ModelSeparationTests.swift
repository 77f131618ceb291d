import Foundation
import SchemaModel
import XCTest

/// The generic kit knows no call-feedback names: no table, enum type,
/// function, role or policy of the call-feedback model is spelled in any
/// source file outside `Sources/SchemaModel/CallFeedback/` (comments
/// included). The CLI reaches the model only through `CallFeedbackModel`.
final class ModelSeparationTests: XCTestCase {
    private static let root = URL(fileURLWithPath: "\(#filePath)")
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let modelFolder = "Sources/SchemaModel/CallFeedback/"

    /// Every name the call-feedback model puts in a database.
    private var modelNames: Set<String> {
        let catalog = CallFeedbackSchema.catalog()
        var names = Set(catalog.tables.map(\.name.name))
        names.formUnion(catalog.enums.map(\.name.name))
        names.formUnion(catalog.functions.map(\.name.name))
        names.formUnion(catalog.roles.map(\.name))
        for table in catalog.tables {
            names.formUnion(table.policies.map(\.name))
            names.formUnion(table.triggers.map(\.name))
        }
        return names
    }

    private func genericSources() throws -> [(path: String, text: String)] {
        var files: [(String, String)] = []
        let sources = Self.root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else {
            XCTFail("cannot list \(sources.path)")
            return []
        }
        for case let url as URL in walker where url.pathExtension == "swift" {
            let path = String(url.path.dropFirst(Self.root.path.count + 1))
            if path.hasPrefix(Self.modelFolder) { continue }
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
        return files
    }

    private static func words(_ text: String) -> Set<String> {
        var words = Set<String>()
        var word = ""
        for c in text.unicodeScalars {
            if c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) {
                word.unicodeScalars.append(c)
            } else if !word.isEmpty {
                words.insert(word)
                word = ""
            }
        }
        if !word.isEmpty { words.insert(word) }
        return words
    }

    func testNoCallFeedbackNameAppearsInTheGenericSources() throws {
        let names = modelNames
        XCTAssertTrue(names.isSuperset(of: ["call_sessions", "get_current_business_id", "normalize_swedish_phone", "erase_customer_data"]))
        let files = try genericSources()
        XCTAssertGreaterThan(files.count, 20, "expected the generic sources under \(Self.root.path)/Sources")
        for (path, text) in files {
            let found = Self.words(text).intersection(names)
            XCTAssertTrue(found.isEmpty, "\(path) spells call-feedback names: \(found.sorted().joined(separator: ", "))")
        }
    }

    func testOnlyTheCLIEntryPointNamesTheCallFeedbackModel() throws {
        let users = try genericSources().filter { Self.words($0.text).contains { $0.hasPrefix("CallFeedback") } }.map(\.path)
        XCTAssertEqual(users, ["Sources/pgmigrate/main.swift"])
    }

    /// The check itself can fail: a generic file naming a table is caught.
    func testTheCheckCatchesANameInAGenericFile() {
        XCTAssertTrue(Self.words("let t = QualifiedName(s, \"call_sessions\")").contains("call_sessions"))
        XCTAssertFalse(Self.words("let t = \"call_sessions_x\"").contains("call_sessions"))
    }
}
