import ArgumentParser
import Foundation
import PGMigrateKit

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model's migration into sql/, or check that sql/ matches the model.",
        discussion: """
            Writes <dir>/0001_initial_schema.sql from the Swift model. With --check nothing is
            written: exits 1, naming the file and the first differing line, when the committed
            file differs from what the model renders. With --check --replay it also applies every
            migration in <dir> to a temporary database and compares the result with the model
            (the drift engine), so a later hand-written migration that disagrees is caught.
            """)

    @OptionGroup var model: ModelOptions
    @Option(help: "Migrations directory.") var dir: String = "sql"
    @Flag(help: "Only check; exit 1 when the files differ from the model.") var check = false
    @Flag(help: "With --check: also replay every migration into a temporary database and compare it with the model (needs a server).")
    var replay = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if replay && !check { throw ValidationError("--replay needs --check") }
    }

    func run() throws {
        let generator = Generator(catalog: model.catalog, directory: URL(fileURLWithPath: dir))
        if check {
            try generator.check()
            if replay {
                try generator.checkReplay(on: connection.settings, schema: model.schema)
                Terminal.progress("\(dir)/ matches the model, and replaying it gives the model")
            } else {
                Terminal.progress("\(dir)/ matches the model")
            }
            return
        }
        switch try generator.write() {
        case .unchanged(let path): Terminal.progress("unchanged \(path)")
        case .written(let path): Terminal.progress("wrote \(path)")
        }
    }
}
