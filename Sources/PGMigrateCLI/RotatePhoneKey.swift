import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

struct RotatePhoneKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-phone-key",
        abstract: "Re-encrypt and re-hash every stored phone number under a new key, online.",
        discussion: """
            The old key comes from \(Eraser.keyEnvironmentVariable), the new one from
            \(Eraser.newKeyEnvironmentVariable) or, with --new-key-stdin, the first line of
            standard input; never from the command line. Both travel in the connection's
            startup options only. Refused, with nothing changed, when the old key is not the
            recorded one. Short batches (each its own transaction), writers keep working with
            either key; a killed run continues when run again with the same two keys.
            Rotating with the same key for both moves legacy values to derived keys.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var model: ModelOptions
    @Flag(help: "Read the new key from the first line of standard input.") var newKeyStdin = false
    @Flag(help: "Count what would be re-encrypted; change nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let oldKey = environment[Eraser.keyEnvironmentVariable], !oldKey.isEmpty else {
            throw PGMigrateError(.usage, "rotate-phone-key: no old key: set \(Eraser.keyEnvironmentVariable)")
        }
        let newKey: String
        if newKeyStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw PGMigrateError(.usage, "--new-key-stdin: standard input has no key on its first line")
            }
            newKey = line
        } else if let key = environment[Eraser.newKeyEnvironmentVariable], !key.isEmpty {
            newKey = key
        } else {
            throw PGMigrateError(
                .usage, "rotate-phone-key: no new key: set \(Eraser.newKeyEnvironmentVariable) or give --new-key-stdin")
        }
        guard let column = model.provider.keyRotation(schema: model.schema) else {
            throw PGMigrateError(.usage, "rotate-phone-key: this model has no key rotation")
        }
        let rotator = try KeyRotator(settings: connection.settings, column: column)
        let report = try rotator.rotate(oldKey: oldKey, newKey: newKey, dryRun: dryRun)
        if json {
            try Terminal.json(report)
            return
        }
        let noun = column.wording.value
        if dryRun {
            Terminal.output("would re-encrypt \(counted(report.rotated, noun)) from key generation \(report.retiringGeneration) to \(report.currentGeneration)")
            return
        }
        Terminal.output("""
            re-encrypted \(counted(report.rotated, noun)) in \(counted(report.batches, "batch", "batches")) \
            (longest \(report.longestBatchMilliseconds) ms)\(report.resumed ? ", resuming an interrupted rotation" : ""); \
            the recorded key is now the new one (generation \(report.currentGeneration)) and the old one is refused
            """)
    }
}
