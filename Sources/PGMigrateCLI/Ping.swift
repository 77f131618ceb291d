import ArgumentParser
import PGMigrateKit

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect and report the server.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let info = try ServerInfo.fetch(connection.settings)
        if json {
            try Terminal.json(info)
        } else {
            Terminal.output("connected to PostgreSQL \(info.serverVersion) at \(info.host):\(info.port)/\(info.database) as \(info.user)")
        }
    }
}
