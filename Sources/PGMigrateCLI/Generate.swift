import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the next migration from a model change, or check that sql/ gives the model.",
        discussion: """
            With no migration in <dir>, writes 0001_initial_schema.sql from the Swift model.
            Otherwise replays every file in <dir> into a scratch database, compares the result
            with the model (rendered into a second scratch database and read back the way drift
            reads it), and writes the next file(s), NNNN_<name>.sql, with version = highest + 1:
            one transaction for the change, and when needed a file of enum labels before it, a
            no-transaction file of CONCURRENTLY index builds and a file that validates new
            constraints after it. Each step carries its hazards as a comment. The files are
            applied through the migrator on top of the replay before they are written: if any
            difference is left, nothing is written (exit 70). An existing file is never edited.
            When sql/ already gives the model it writes nothing and says so (exit 0).

            Refused (exit 65): dropping a table or column unless --allow-hazards data-loss (or
            declare renamedFrom: in the model), removing or reordering enum labels, adding a
            NOT NULL column without a default unless --allow-hazards may-fail-on-existing-data.

            --check writes nothing: it replays <dir> and exits 1 naming each difference with the
            model (while <dir> holds only 0001_initial_schema.sql it also compares that file's
            text with what the model renders). --replay is accepted for compatibility.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var deployment: DeploymentOptions
    @Option(help: "Migrations directory.") var dir: String = MigrationOptions.defaultDirectory
    @Option(help: "Name of the new migration (NNNN_<name>.sql).") var name: String = "schema_change"
    @Flag(help: "Print the file(s) on stdout instead of writing them.") var dryRun = false
    @Flag(help: "Print the steps and their hazards as JSON on stdout (writes the files unless --dry-run).") var json = false
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Hazards to allow: \(Hazard.allCases.map(\.rawValue).joined(separator: ", ")) (space- or comma-separated).", valueName: "hazard"))
    var allowHazards: [String] = []
    @Flag(help: "Only check; exit 1 when replaying <dir> does not give the model.") var check = false
    @Flag(help: "With --check: accepted for compatibility (--check always replays).") var replay = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if replay && !check { throw ValidationError("--replay needs --check") }
        if !SchemaEvolution.isValidName(name) {
            throw ValidationError("--name \(name): use letters, digits, _ or - (it becomes NNNN_\(name).sql)")
        }
        _ = try hazards()
    }

    func hazards() throws -> Set<Hazard> {
        var out = Set<Hazard>()
        for item in allowHazards.flatMap({ $0.split(separator: ",") }) {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let hazard = Hazard(rawValue: text) else {
                throw ValidationError("--allow-hazards \(text): unknown hazard (known: \(Hazard.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            out.insert(hazard)
        }
        return out
    }

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        let catalog = try deployment.catalog(model)
        let generator = Generator(catalog: catalog, directory: directory)
        let existing = FileManager.default.fileExists(atPath: directory.path) ? try MigrationFile.load(directory: directory) : []
        if deployment.target == .citus {
            try runCitus(generator, existing: existing)
            return
        }
        if check {
            // While 0001 is the only file, its text must also be what the model renders.
            if existing.count <= 1 { try generator.check() }
            try generator.checkReplay(on: connection.settings, schema: model.schema)
            Terminal.progress("replaying \(dir)/ gives the model")
            return
        }
        if existing.isEmpty {
            if dryRun {
                let migration = try generator.render()
                Terminal.output("-- file: \(migration.fileName)\n" + migration.contents)
                return
            }
            switch try generator.write() {
            case .unchanged(let path): Terminal.progress("unchanged \(path)")
            case .written(let path): Terminal.progress("wrote \(path)")
            }
            return
        }
        let evolution = SchemaEvolution(
            catalog: catalog, schema: model.schema, directory: directory, settings: connection.settings,
            allowedHazards: try hazards(), name: name)
        let outcome = try evolution.run()
        if json {
            try Terminal.json(GenerateReport(outcome, written: !dryRun))
        } else if dryRun {
            for file in outcome.files {
                Terminal.output("-- file: \(file.fileName)\n" + file.contents)
            }
        }
        guard !outcome.files.isEmpty else {
            Terminal.progress("nothing to generate: replaying \(dir)/ gives the model")
            return
        }
        let hazards = outcome.plan.hazards.sorted().map(\.rawValue)
        let summary = "\(counted(outcome.plan.steps.count, "step")); hazards: \(hazards.isEmpty ? "none" : hazards.joined(separator: ", "))"
        if dryRun {
            Terminal.progress("would write \(outcome.files.map(\.fileName).joined(separator: ", ")) (\(summary)); proven on a replay, nothing written")
            return
        }
        let written = try evolution.write(outcome.files)
        for url in written { Terminal.progress("wrote \(dir)/\(url.lastPathComponent)") }
        Terminal.progress("\(summary); review the file(s), then `pgmigrate migrate`")
    }
}

extension Generate {
    /// `--target citus`: the initial file only, and --check compares its text.
    /// Replaying needs scratch databases on a Citus cluster (a new database
    /// there has no Citus), so changes to the Citus history are not planned yet:
    /// while unreleased, delete sql/citus/0001 and generate it again.
    func runCitus(_ generator: Generator, existing: [MigrationFile]) throws {
        guard existing.count <= 1 else {
            throw PGMigrateError(
                .refused, "--target citus: \(dir) holds \(existing.count) migrations; only the initial file is generated for Citus (planning a change on a Citus cluster is not supported yet)")
        }
        if check {
            try generator.check()
            Terminal.progress("\(dir)/\(try generator.render().fileName) matches the model (--target citus; the text is compared, nothing is replayed)")
            return
        }
        if dryRun {
            let migration = try generator.render()
            Terminal.output("-- file: \(migration.fileName)\n" + migration.contents)
            return
        }
        if let file = existing.first, file.fileName != (try generator.render().fileName) {
            throw PGMigrateError(.refused, "--target citus: \(dir)/\(file.fileName) is not the initial file the model renders")
        }
        switch try generator.write() {
        case .unchanged(let path): Terminal.progress("unchanged \(path)")
        case .written(let path): Terminal.progress("wrote \(path)")
        }
    }
}

/// `generate --json`: the files, their steps and hazards.
struct GenerateReport: Encodable {
    struct Step: Encodable {
        var summary: String
        var hazards: [String]
        var note: String?
        var statements: [String]
    }
    struct File: Encodable {
        var name: String
        var transactional: Bool
        var steps: [Step]
    }
    var written: Bool
    var files: [File]
    var hazards: [String]

    init(_ outcome: SchemaEvolution.Outcome, written: Bool) {
        self.written = written && !outcome.files.isEmpty
        // The same groups `files(firstVersion:name:)` made, in the same order.
        self.files = zip(outcome.plan.fileGroups(), outcome.files).map { group, file in
            File(
                name: file.fileName, transactional: group.phase.isTransactional,
                steps: group.steps.map { Step(summary: $0.summary, hazards: $0.hazards.map(\.rawValue), note: $0.note, statements: $0.statements.map(\.sql)) })
        }
        hazards = outcome.plan.hazards.sorted().map(\.rawValue)
    }
}

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an empty migration NNNN_<name>.sql with the next version, for a hand-written (data) migration.")

    @Argument(help: "The migration's name (letters, digits, _ or -).") var name: String
    @Option(help: "Migrations directory.") var dir: String = MigrationOptions.defaultDirectory

    func validate() throws {
        if !SchemaEvolution.isValidName(name) {
            throw ValidationError("\(name): use letters, digits, _ or - (it becomes NNNN_\(name).sql)")
        }
    }

    func run() throws {
        let url = try SchemaEvolution.newFile(named: name, in: URL(fileURLWithPath: dir))
        Terminal.output("\(dir)/\(url.lastPathComponent)")
    }
}
