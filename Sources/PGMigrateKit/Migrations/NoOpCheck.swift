import Foundation
import PQClient

/// What the no-op pre-check decided before `migrate` takes the lock.
public enum NoOpDecision: Sendable, Hashable {
    /// Every file is applied with its recorded name and checksum, the ledger
    /// is clean and no migrator holds the lock: nothing to do, no lock taken.
    case nothingToDo(MigrateReport)
    /// Anything else: `migrate` takes the lock and runs every check as before.
    /// The reason is for tests and `--timings`-style diagnostics only.
    case slowPath(reason: String)
}

extension Migrator {
    /// The fast path of a `migrate` with nothing to do: one connection, one
    /// read of the ledger (and of whether another migrator holds the lock or
    /// an index is invalid),
    /// and the checksums of the files, without parsing any of them and
    /// without taking the migration lock.
    ///
    /// It only ever answers "nothing to do"; every other situation (a pending
    /// file, an edited or renamed one, a missing file, a dirty ledger, no
    /// ledger, a malformed file name, a migrator holding the lock, any error)
    /// is `.slowPath`, and `migrate` then does exactly what it did before
    /// this check existed. Deciding "nothing pending" without the lock is
    /// safe: nothing is written, and a migration another migrator is applying
    /// commits together with its ledger row, so the read sees it either
    /// applied (then its file must match) or not at all (then it is pending
    /// here and this run waits for the lock).
    ///
    /// An applied file is not parsed again: its checksum equals the one
    /// recorded when it was parsed and applied.
    public func noOpDecision(target: Int64? = nil) throws -> NoOpDecision {
        // The directory with plain POSIX calls, the files in an array sorted
        // by version (no hashing: the first Dictionary of a new type costs a
        // runtime conformance lookup, more than a sort of 500 versions).
        guard let stream = opendir(directory.path) else { return .slowPath(reason: "cannot open the directory") }
        defer { closedir(stream) }
        let directoryFD = dirfd(stream)
        var files: [(version: Int64, name: String, checksum: String)] = []
        while let entry = readdir(stream) {
            let fileName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if fileName == "." || fileName == ".." { continue }
            let parsed: (version: Int64, name: String)?
            do { parsed = try MigrationFile.parseFileName(fileName) } catch { return .slowPath(reason: "malformed file name \(fileName)") }
            guard let (version, name) = parsed else { continue }
            // Only valid names get here (ASCII), so fileName is the name on disk.
            guard let bytes = Self.readFile(fileName, in: directoryFD) else { return .slowPath(reason: "cannot read \(fileName)") }
            files.append((version, name, MigrationFile.checksum(of: bytes)))
        }
        files.sort { $0.version < $1.version }
        for (previous, next) in zip(files, files.dropFirst()) where previous.version == next.version {
            return .slowPath(reason: "duplicate version \(next.version)")
        }
        /// The file of `version`, by binary search.
        func file(_ version: Int64) -> (version: Int64, name: String, checksum: String)? {
            var low = 0
            var high = files.count
            while low < high {
                let middle = (low + high) / 2
                if files[middle].version < version { low = middle + 1 } else { high = middle }
            }
            return low < files.count && files[low].version == version ? files[low] : nil
        }
        if let target, file(target) == nil { return .slowPath(reason: "--target is not a file's version") }
        guard !files.isEmpty else { return .slowPath(reason: "no migration files") }

        let connection = try settings.connect()
        spareConnection = connection
        // As few catalogs as possible (a new backend loads each one it
        // touches): the lock check is not limited to this database (a
        // migrator of another database just means the slow path), and any
        // invalid index at all leads to the full, filtered read below.
        let rows: [Row]
        do {
            rows = try connection.execute("""
                SELECT version, name, checksum, state,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_locks
                               WHERE locktype = 'advisory' AND granted
                                 AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1) AS locked,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE NOT indisvalid) AS any_invalid
                FROM pgmigrate.schema_migrations ORDER BY version
                """, [AdvisoryLock.key >> 32, AdvisoryLock.key & 0xFFFF_FFFF]).rows
        } catch {
            // No ledger yet (42P01) or anything else: the slow path says what.
            return .slowPath(reason: "no ledger yet or cannot read it")
        }
        var matched = 0
        var newest: Int64?
        var anyInvalid = false
        for row in rows {
            guard let version = try? row.decode("version", as: Int64.self),
                let name = try? row.decode("name", as: String.self),
                let checksum = try? row.decode("checksum", as: String.self),
                let state = try? row.decode("state", as: String.self),
                let locked = try? row.decode("locked", as: Bool.self),
                let invalidSeen = try? row.decode("any_invalid", as: Bool.self)
            else { return .slowPath(reason: "unreadable ledger row") }
            if locked { return .slowPath(reason: "another migrator holds the lock") }
            guard state == LedgerEntry.State.applied.rawValue || state == LedgerEntry.State.baselined.rawValue else {
                return .slowPath(reason: "ledger has a \(state) migration")
            }
            guard let file = file(version) else {
                return .slowPath(reason: "applied migration \(version) has no file")
            }
            matched += 1
            guard file.name == name, file.checksum == checksum else {
                return .slowPath(reason: "file of version \(version) differs from the ledger")
            }
            newest = version
            anyInvalid = invalidSeen
        }
        guard matched == files.count else { return .slowPath(reason: "\(files.count - matched) pending file(s)") }
        // Invalid indexes are rare: read them (and whether a build is still
        // running) only when the ledger query saw one.
        var invalid: [InvalidIndex] = []
        if anyInvalid {
            do { invalid = try PostgresTarget.reading(connection, options: options).invalidIndexes() } catch { return .slowPath(reason: "cannot read invalid indexes") }
        }
        spareConnection = nil
        return .nothingToDo(MigrateReport(applied: [], currentVersion: newest, pending: 0, invalidIndexes: invalid))
    }

    /// A regular file's bytes with plain POSIX calls (Foundation's URL and
    /// FileManager cost more than the hashing for thousands of small files);
    /// nil for anything else (the slow path then says what is wrong).
    static func readFile(_ name: String, in directoryFD: Int32) -> [UInt8]? {
        let fd = openat(directoryFD, name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        // The whole file in one read, straight into an array one byte longer
        // than the file: a shorter answer is the end of the file (the usual
        // case, one call); a file that changed meanwhile is read on in chunks.
        let size = max(0, Int(info.st_size))
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            let got = read(fd, buffer.baseAddress, size + 1)
            if got < 0 { failed = true } else { count = got }
        }
        guard !failed else { return nil }
        if bytes.count == size { return bytes }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 { return nil }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<got])
        }
    }
}
