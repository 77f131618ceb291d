import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The server the integration tests run against: `DATABASE_URL`, which
/// `scripts/test.sh` sets to a throwaway cluster it starts. Without it the
/// tests fail (never skip) and say how to get one.
enum TestServer {
    static func settings(file: StaticString = #filePath, line: UInt = #line) throws -> ConnectionSettings {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            let message = "DATABASE_URL is not set: run scripts/test.sh (it starts a throwaway PostgreSQL) or point DATABASE_URL at a server you can create databases on"
            XCTFail(message, file: file, line: line)
            throw PGMigrateError(.connection, message)
        }
        return ConnectionSettings(conninfo: url, source: .environment)
    }

    /// A connection to the maintenance database (as given by DATABASE_URL).
    static func admin() throws -> Connection {
        try settings().connect(applicationName: "pgmigrate-tests")
    }

    /// The path of the built `pgmigrate` executable, for tests of the CLI as a process.
    static var executable: URL {
        // Tests run from .build/<config>/<Package>PackageTests.xctest; the executable sits beside it.
        var url = Bundle.main.bundleURL
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            url = bundle.bundleURL.deletingLastPathComponent()
        }
        let candidate = url.appendingPathComponent("pgmigrate")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(".build/debug/pgmigrate")
    }

    /// The repository root (for sql/ and scripts/).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// A fresh database for one test, dropped when the test ends.
final class TestDatabase {
    let name: String
    let settings: ConnectionSettings

    init(prefix: String = "pgm_test") throws {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        name = "\(prefix)_\(suffix)"
        let admin = try TestServer.admin()
        try admin.execute("CREATE DATABASE \(quoteIdentifier(name))")
        settings = try TestServer.settings().withDatabase(name)
    }

    var url: String { settings.conninfo ?? "" }

    func connect() throws -> Connection { try settings.connect(applicationName: "pgmigrate-tests") }

    func drop() {
        guard let admin = try? TestServer.admin() else { return }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }
}

extension XCTestCase {
    /// A fresh database, dropped at the end of the test.
    func makeDatabase(prefix: String = "pgm_test") throws -> TestDatabase {
        let database = try TestDatabase(prefix: prefix)
        addTeardownBlock { database.drop() }
        return database
    }

    /// Asserts that `body` throws a server error with the given SQLSTATE
    /// (and, when given, constraint name); returns the error.
    @discardableResult
    func assertSQLState(
        _ state: SQLState, constraint: String? = nil, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) -> PQError? {
        do {
            try body()
            XCTFail("expected SQLSTATE \(state)\(constraint.map { " (\($0))" } ?? "") but it succeeded. \(message)", file: file, line: line)
            return nil
        } catch let error as PQError {
            XCTAssertEqual(error.sqlState, state, "\(error.debugDescription) \(message)", file: file, line: line)
            if let constraint {
                XCTAssertEqual(error.constraint, constraint, "\(error.debugDescription) \(message)", file: file, line: line)
            }
            return error
        } catch {
            XCTFail("expected PQError \(state), got \(error) \(message)", file: file, line: line)
            return nil
        }
    }
}

/// Runs a process to completion and captures its output.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to its end; `input` is written to its standard input
/// (without it, standard input is /dev/null, so nothing waits on a terminal).
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                input: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = input.map { _ in Pipe() }
    process.standardInput = stdin ?? FileHandle.nullDevice
    try process.run()
    if let stdin, let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    // Read both pipes concurrently-safe: drain stderr on a background queue.
    let errData = LockedData()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData.set(err.fileHandleForReading.readDataToEndOfFile())
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Runs the built pgmigrate CLI.
func pgmigrate(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> ProcessResult {
    try runProcess(TestServer.executable, arguments, environment: environment, input: input)
}
