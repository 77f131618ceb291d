import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

struct TypeScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "typescript",
        abstract: "Write the model's TypeScript types (no database needed), or check the committed file.",
        discussion: """
            Renders one TypeScript module from the Swift model: Row, Insert and Update types per
            table, enums as string-literal unions with their labels, the status state machine and
            the event types each status accepts. Without --out it goes to stdout. With --check
            nothing is written: exits 1, naming the file and the first differing line, when the
            file (--out, default \(defaultFile)) differs from what the model renders.
            """)

    static var defaultFile: String { ModelRegistry.current.typeScriptFile }

    @OptionGroup var model: ModelOptions
    @Option(help: ArgumentHelp("File to write (stdout without it).", valueName: "file")) var out: String?
    @Flag(help: "Only check that the file matches the model; exit 1 when it differs.") var check = false
    @Option(help: ArgumentHelp(
        "How date and time columns are typed: date (node-postgres's default, a Date) or string.",
        valueName: "date|string"))
    var dates: String = TypeScriptRenderer.DateMapping.date.rawValue

    func validate() throws {
        guard TypeScriptRenderer.DateMapping(rawValue: dates) != nil else {
            throw ValidationError("--dates must be date or string, not '\(dates)'")
        }
    }

    func run() throws {
        let mapping = TypeScriptRenderer.DateMapping(rawValue: dates) ?? .date
        let text: String
        do {
            let provider = ModelRegistry.current
            text = try TypeScriptRenderer(
                catalog: provider.catalog(schema: model.schema), rules: provider.typeScriptRules(schema: model.schema),
                dates: mapping
            ).render()
        } catch {
            throw PGMigrateError(.dataError, "cannot render the TypeScript types: \(error)")
        }
        if check {
            try Self.check(text, against: out ?? Self.defaultFile, dates: mapping)
            Terminal.progress("\(out ?? Self.defaultFile) matches the model")
            return
        }
        guard let out else {
            Terminal.output(text)
            return
        }
        let url = URL(fileURLWithPath: out)
        if let existing = try? String(contentsOf: url, encoding: .utf8), CommittedFile.normalised(existing) == text {
            Terminal.progress("unchanged \(out)")
            return
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw PGMigrateError(.dataError, "cannot write \(out): \(error.localizedDescription)")
        }
        Terminal.progress("wrote \(out)")
    }

    /// Throws (exit 1) naming the file and the first line where it differs.
    static func check(_ text: String, against path: String, dates: TypeScriptRenderer.DateMapping) throws {
        let regenerate = "run `pgmigrate typescript --out \(path)\(dates == .string ? " --dates string" : "")` and commit the result"
        guard let existing = try? String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8) else {
            throw PGMigrateError(.differences, "\(path) is missing: \(regenerate)")
        }
        guard let detail = CommittedFile.firstDifference(committed: existing, rendered: text) else { return }
        throw PGMigrateError(.differences, "\(path) differs from the model (\(detail)): \(regenerate)")
    }
}
