import ArgumentParser
import PGMigrateKit
import SchemaModel

/// Options naming which model to render. The model itself comes from the
/// one provider the CLI was built with (`ModelRegistry.current`).
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("schema"), help: "Schema the model's tables live in.")
    var schema: String = ModelRegistry.current.defaultSchema

    var provider: any SchemaProvider { ModelRegistry.current }
    var catalog: Catalog { provider.catalog(schema: schema) }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the DDL the model renders (no database needed).")

    @OptionGroup var model: ModelOptions
    @Flag(help: "Print the rules (state diagram, event table, retention) as Markdown instead.")
    var rulesMarkdown = false

    func run() throws {
        if rulesMarkdown {
            Terminal.output(model.provider.rulesMarkdown(schema: model.schema))
            return
        }
        let migration = try Generator(catalog: model.catalog, directory: .init(fileURLWithPath: ".")).render()
        Terminal.output(migration.contents)
    }
}
