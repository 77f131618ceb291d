import ArgumentParser
import Foundation
import PGMigrateKit

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model's migration into sql/, or check that sql/ matches the model.",
        discussion: """
            Writes <dir>/0001_initial_schema.sql from the Swift model. With --check nothing is
            written: exits 1, naming the file and the first differing line, when the committed
            file differs from what the model renders.
            """)

    @OptionGroup var model: ModelOptions
    @Option(help: "Migrations directory.") var dir: String = "sql"
    @Flag(help: "Only check; exit 1 when the files differ from the model.") var check = false

    func run() throws {
        let generator = Generator(catalog: model.catalog, directory: URL(fileURLWithPath: dir))
        if check {
            try generator.check()
            Terminal.progress("\(dir)/ matches the model")
            return
        }
        switch try generator.write() {
        case .unchanged(let path): Terminal.progress("unchanged \(path)")
        case .written(let path): Terminal.progress("wrote \(path)")
        }
    }
}
