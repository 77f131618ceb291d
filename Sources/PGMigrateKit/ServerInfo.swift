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
        // Everything here arrived with the connection (ParameterStatus): no query.
        let connection = try settings.connect()
        return ServerInfo(
            serverVersion: connection.parameterStatus("server_version") ?? String(connection.serverVersionNumber),
            serverVersionNumber: connection.serverVersionNumber,
            database: connection.database, user: connection.user,
            host: connection.host, port: connection.port)
    }
}
