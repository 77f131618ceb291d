import ArgumentParser
import Foundation
import PGMigrateKit
import PQClient
import SchemaModel

/// `pgmigrate maintain`: partition maintenance alone (`purge` runs it too).
struct Maintain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the time partitions of partitioned tables ahead and sort default-partition rows into them.",
        discussion: """
            Run it (or purge, which runs it first) from cron at least daily. Each change is a short
            transaction under --lock-timeout, retried when it cannot get its locks. A model without
            partitioned tables has nothing to do.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "Lock timeout per transaction, in milliseconds.") var lockTimeout = 2000
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if lockTimeout <= 0 { throw ValidationError("--lock-timeout must be positive") }
    }

    func run() throws {
        var options = PartitionMaintainer.Options()
        options.lockTimeoutMilliseconds = lockTimeout
        let maintainer = PartitionMaintainer(tables: model.provider.catalog(schema: model.schema).tables, options: options)
        let reports: [PartitionMaintainer.TableReport]
        do {
            let session = try connection.settings.connect(applicationName: "pgmigrate maintain")
            reports = try maintainer.run(on: session)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "partition maintenance")
        }
        if json {
            try Terminal.json(reports)
            return
        }
        if reports.isEmpty { Terminal.progress("no partitioned tables in the model: nothing to do") }
        for report in reports {
            var line = "\(report.table): \(counted(report.created.count, "partition")) made"
            if report.movedFromDefault > 0 { line += ", \(counted(report.movedFromDefault, "row")) moved out of the default partition" }
            Terminal.output(line)
        }
    }
}
