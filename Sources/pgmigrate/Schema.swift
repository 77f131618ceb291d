import ArgumentParser
import PGMigrateKit
import SchemaModel

/// Options naming which model to render.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("schema"), help: "Schema the model's tables live in.")
    var schema: String = CallFeedbackSchema.defaultSchema

    var catalog: Catalog { CallFeedbackSchema.catalog(schema: schema) }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the DDL the model renders (no database needed).")

    @OptionGroup var model: ModelOptions

    func run() throws {
        let migration = try Generator(catalog: model.catalog, directory: .init(fileURLWithPath: ".")).render()
        Terminal.output(migration.contents)
    }
}
