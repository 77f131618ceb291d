import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one customer's personal data (GDPR Article 17), found by phone number.",
        discussion: """
            The number may be written as +46…, 0046… or 0…, with spaces or hyphens. The phone
            encryption key comes from \(Eraser.keyEnvironmentVariable) (during a key rotation
            also \(Eraser.newKeyEnvironmentVariable)); it is sent in the
            connection's startup options, never as statement text, and never printed.
            One transaction; idempotent.

            Erased: \((defaultErasure?.erased ?? []).joined(separator: "; ")).
            Kept: \((defaultErasure?.kept ?? []).joined(separator: "; ")).
            """)

    private static var defaultErasure: Erasure? { ModelRegistry.current.erasure(schema: ModelRegistry.current.defaultSchema) }

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "The customer's phone number (other local users can see it in the process list; prefer --phone-stdin).")
    var phone: String?
    @Flag(help: "Read the phone number from the first line of standard input.") var phoneStdin = false
    @Flag(help: "Count what would be erased; change nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if phone == nil && !phoneStdin {
            throw ValidationError("which customer? give --phone-stdin (the number on standard input) or --phone NUMBER")
        }
        if phone != nil && phoneStdin { throw ValidationError("--phone and --phone-stdin cannot be used together") }
    }

    /// The number from --phone, or the first line of standard input.
    private func customerPhone() throws -> String {
        if let phone { return phone }
        guard let line = readLine(strippingNewline: true), !line.allSatisfy(\.isWhitespace) else {
            throw PGMigrateError(.usage, "--phone-stdin: standard input has no phone number on its first line")
        }
        return line
    }

    func run() throws {
        let phone = try customerPhone()
        guard let erasure = model.provider.erasure(schema: model.schema) else {
            throw PGMigrateError(.usage, "erase: this model has no erasure rule")
        }
        let eraser = Eraser(settings: connection.settings, erasure: erasure)
        let key = ProcessInfo.processInfo.environment[Eraser.keyEnvironmentVariable]
        let newKey = ProcessInfo.processInfo.environment[Eraser.newKeyEnvironmentVariable]
        let report = try eraser.erase(phone: phone, key: key, newKey: newKey, dryRun: dryRun)
        if json {
            try Terminal.json(report)
            return
        }
        if report.nothingToDo {
            Terminal.output("nothing to erase: no \(erasure.root.noun) holds that \(erasure.argumentNoun)")
            return
        }
        let verb = dryRun ? "would erase" : "erased"
        let changed = zip(erasure.counts, erasure.nouns).map { name, noun in
            counted(report.counts[Eraser.Report.key(name)] ?? 0, noun)
        }
        Terminal.output("""
            \(verb) personal data of \(changed.joined(separator: ", "))
            kept: \(erasure.kept.joined(separator: "; "))
            """)
        if !dryRun { Terminal.progress("an audit row (counts only) was written to \(erasure.log.name)") }
    }
}
