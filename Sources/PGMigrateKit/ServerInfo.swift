import PQClient

/// What `pgmigrate ping` reports about the server.
public struct ServerInfo: Codable, Sendable, Hashable {
    public let serverVersion: String
    public let serverVersionNumber: Int
    public let database: String
    public let user: String
    public let host: String
    public let port: String

    public static func fetch(_ settings: ConnectionSettings) throws -> ServerInfo {
        let connection = try settings.connect()
        do {
            let version = try connection.execute("SELECT current_setting('server_version') AS v").scalar(String.self)
            return ServerInfo(
                serverVersion: version, serverVersionNumber: connection.serverVersionNumber,
                database: connection.database, user: connection.user,
                host: connection.host, port: connection.port)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "reading the server version")
        }
    }
}
