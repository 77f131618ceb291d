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

/// `--target`: where the model is deployed (schema, generate and drift).
struct DeploymentOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: ArgumentHelp(
        "Deployment target: \(DeploymentTarget.allCases.map(\.rawValue).joined(separator: ", ")) (citus: the model placed on a Citus cluster).",
        valueName: "target"))
    var targetName: String = DeploymentTarget.postgres.rawValue

    var target: DeploymentTarget { DeploymentTarget(rawValue: targetName) ?? .postgres }

    func validate() throws {
        guard DeploymentTarget(rawValue: targetName) != nil else {
            throw ValidationError("--target \(targetName): unknown target (known: \(DeploymentTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// The model for this target (exit 64 when the model has no such deployment).
    func catalog(_ model: ModelOptions) throws -> Catalog {
        guard let catalog = model.provider.catalog(schema: model.schema, target: target) else {
            throw PGMigrateError(.usage, "--target \(target.rawValue): this model has no \(target.rawValue) deployment")
        }
        return catalog
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the DDL the model renders (no database needed).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var deployment: DeploymentOptions
    @Flag(help: "Print the rules (state diagram, event table, retention) as Markdown instead.")
    var rulesMarkdown = false

    func run() throws {
        if rulesMarkdown {
            Terminal.output(model.provider.rulesMarkdown(schema: model.schema))
            return
        }
        let migration = try Generator(catalog: deployment.catalog(model), directory: .init(fileURLWithPath: ".")).render()
        Terminal.output(migration.contents)
    }
}
