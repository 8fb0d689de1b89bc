import Foundation
import SQLite
import Testing

@Suite("Connection")
struct ConnectionTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    struct Rollback: Error {}

    @Test func transactionCommitsAndRollsBackOnError() throws {
        let db = try Connection(path: directory.path("tx.sqlite"))
        try db.execute("CREATE TABLE reading (id INTEGER PRIMARY KEY, value REAL NOT NULL)")

        let count = try db.transaction(.immediate) {
            #expect(db.isInTransaction)
            for value in [1.0, 2.0, 3.0] {
                try db.run("INSERT INTO reading (value) VALUES (?)", [.real(value)])
            }
            return try db.query("SELECT count(*) FROM reading")
        }
        #expect(count == [[3]])
        #expect(!db.isInTransaction)

        #expect(throws: Rollback.self) {
            try db.transaction {
                try db.run("DELETE FROM reading")
                try db.run("INSERT INTO reading (value) VALUES (?)", [42.0])
                #expect(try db.query("SELECT count(*) FROM reading") == [[1]])
                throw Rollback()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT value FROM reading ORDER BY id") == [[1.0], [2.0], [3.0]])

        // A failing statement inside the body rolls back the earlier writes of the same body.
        let error = #expect(throws: SQLiteError.self) {
            try db.transaction(.immediate) {
                try db.run("INSERT INTO reading (value) VALUES (?)", [4.0])
                try db.run("INSERT INTO reading (value) VALUES (?)", [nil])
            }
        }
        #expect(error?.extendedCode == .constraintNotNull)
        #expect(try db.query("SELECT count(*) FROM reading") == [[3]])
    }

    @Test func emptyTransactionRollbackLeavesNoRows() throws {
        let db = try Connection(path: directory.path("empty.sqlite"))
        try db.execute("CREATE TABLE t (x)")
        _ = try? db.transaction(.deferred) {
            try db.run("INSERT INTO t VALUES (1)")
            throw Rollback()
        }
        #expect(try db.query("SELECT count(*) FROM t") == [[0]])
    }

    @Test func walModeCreatesTheWALFile() throws {
        let db = try Connection(path: directory.path("wal.sqlite"))
        try db.journalModeWAL()
        try db.setSynchronous(.normal)
        try db.busyTimeout(ms: 1000)
        try db.execute("CREATE TABLE t (x BLOB)")
        try db.run("INSERT INTO t VALUES (?)", [.blob([UInt8](repeating: 7, count: 10_000))])
        #expect(directory.exists("wal.sqlite-wal"))
        #expect(directory.exists("wal.sqlite-shm"))
        #expect(try db.query("PRAGMA journal_mode") == [["wal"]])

        let result = try db.walCheckpoint(.truncate)
        #expect(result.walFrames == result.checkpointedFrames)
        let walSize = try FileManager.default.attributesOfItem(atPath: directory.path("wal.sqlite-wal"))[.size] as? Int
        #expect(walSize == 0)

        // A second connection sees the committed data and the persistent WAL mode.
        let reader = try Connection(path: directory.path("wal.sqlite"), readOnly: true)
        #expect(try reader.query("SELECT length(x) FROM t") == [[10_000]])
        #expect(try reader.query("PRAGMA journal_mode") == [["wal"]])
    }

    /// SQLite answers the losers of a race to switch a new file to WAL `SQLITE_BUSY` without
    /// calling its busy handler; `journalModeWAL` waits for them instead (issue 20).
    @Test func connectionsSwitchingOneNewFileToWALAtOnceAllSucceed() throws {
        for attempt in 1...100 {
            let path = directory.path("race-\(attempt).sqlite")
            let go = DispatchSemaphore(value: 0)
            let ready = DispatchGroup(), done = DispatchGroup()
            let failures = Failures()
            for _ in 0..<6 {
                ready.enter()
                done.enter()
                Thread {
                    let db = Result { try Connection(path: path) }  // opened first: only the switches race
                    ready.leave()
                    go.wait()
                    do { try db.get().journalModeWAL() } catch { failures.append("\(error)") }
                    done.leave()
                }.start()
            }
            ready.wait()
            for _ in 0..<6 { go.signal() }
            done.wait()
            #expect(failures.all.isEmpty, "attempt \(attempt): \(failures.all)")
        }
    }

    @Test func walIsRejectedForInMemoryDatabases() throws {
        let db = try Connection(path: ":memory:")
        let error = #expect(throws: SQLiteError.self) { try db.journalModeWAL() }
        #expect(error?.message.contains("memory") == true)
    }

    /// The versioned-migration pattern the vault uses.
    static let migrations: [String] = [
        "CREATE TABLE patient (id INTEGER PRIMARY KEY, pseudonym BLOB NOT NULL UNIQUE)",
        "ALTER TABLE patient ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX patient_created ON patient (created_at)",
    ]

    static func migrate(_ db: Connection, upTo target: Int = migrations.count) throws -> Int {
        var applied = 0
        try db.transaction(.immediate) {
            let current = Int(try db.userVersion)
            for version in current..<max(current, target) {
                try db.execute(migrations[version])
                try db.setUserVersion(Int32(version + 1))
                applied += 1
            }
        }
        return applied
    }

    @Test func userVersionMigrationFlow() throws {
        let path = directory.path("migrate.sqlite")
        do {
            let db = try Connection(path: path)
            #expect(try db.userVersion == 0)
            #expect(try Self.migrate(db, upTo: 1) == 1)
            #expect(try db.userVersion == 1)
        }
        do {
            let db = try Connection(path: path)
            #expect(try db.userVersion == 1)
            #expect(try Self.migrate(db) == 2)
            #expect(try db.userVersion == 3)
            #expect(try Self.migrate(db) == 0)  // idempotent
            try db.run("INSERT INTO patient (pseudonym, created_at) VALUES (?, ?)", [.blob([1]), 5])
        }

        // A failing migration leaves both schema and version untouched.
        let db = try Connection(path: path)
        #expect(throws: SQLiteError.self) {
            try db.transaction(.immediate) {
                try db.setUserVersion(4)
                try db.execute("ALTER TABLE no_such_table ADD COLUMN x")
            }
        }
        #expect(try db.userVersion == 3)
    }

    @Test func uniqueViolationCarriesCodesButNoBoundValues() throws {
        let db = try Connection(path: directory.path("unique.sqlite"))
        try db.execute("CREATE TABLE patient (pseudonym TEXT NOT NULL UNIQUE)")
        let secret = "PATIENT-SECRET-7f3a9c"
        let insert = try db.cached("INSERT INTO patient (pseudonym) VALUES (?)")
        try insert.run(.text(secret))
        let error = try #require(throws: SQLiteError.self) { try insert.run(.text(secret)) }
        #expect(error.code == .constraint)
        #expect(error.extendedCode == .constraintUnique)
        #expect(error.extendedCode.primary == .constraint)
        #expect(error.message.contains("UNIQUE constraint failed"))
        #expect(error.operation == "step INSERT")
        #expect(error.file.hasSuffix(".swift"))
        let description = String(describing: error)
        #expect(!description.contains(secret))
        #expect(!String(reflecting: error).contains(secret))
        #expect(description.contains("UNIQUE"))

        // The statement is usable again after the failure.
        try insert.run(.text("another"))
        #expect(try db.query("SELECT count(*) FROM patient") == [[2]])
    }

    @Test func statementCacheReturnsTheSameResetStatement() throws {
        let db = try Connection(path: directory.path("cache.sqlite"))
        try db.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);")
        let sql = "SELECT x FROM t WHERE x >= ? ORDER BY x"
        let first = try db.cached(sql)
        try first.bind(2)
        #expect(try first.step())
        #expect(first.int64(0) == 2)

        let second = try db.cached(sql)
        #expect(first === second)
        // Reset and cleared: the parameter is NULL again, so `x >= NULL` matches nothing.
        #expect(try second.step() == false)
        try second.bind(1)
        #expect(try second.allRows() == [[1], [2], [3]])
        #expect(try db.cached(sql + " ") !== first)
        #expect(try db.prepare(sql) !== first)
    }

    @Test func literalStatementCacheReturnsTheSameResetStatement() throws {
        let db = try Connection(path: directory.path("literal-cache.sqlite"))
        try db.execute("CREATE TABLE t (x, y); INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, 'c');")
        func lookup() throws -> Statement { try db.cached(literal: "SELECT x FROM t WHERE x >= ? AND y IS ? ORDER BY x") }
        let first = try lookup()
        try first.bind([.integer(1), .text("c")])
        #expect(try first.allRows() == [[3]])
        let second = try lookup()
        #expect(first === second)
        #expect(try second.step() == false)  // reset and cleared: both parameters NULL
        // A full re-bind replaces every earlier value, including text with NULL.
        try second.bind([.integer(1), .text("a")])
        #expect(try second.allRows() == [[1]])
        try second.bind([.integer(0), .null])
        #expect(try second.allRows() == [[2]])
        #expect(try db.cached("SELECT x FROM t WHERE x >= ? AND y IS ? ORDER BY x") !== first)
    }

    @Test func openingWaitsForAnotherConnectionsLockInsteadOfFailing() throws {
        let path = directory.path("locked.sqlite")
        let holder = LockHolder(try Connection(path: path))
        try holder.db.execute("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
        let released = DispatchSemaphore(value: 0)
        Thread {
            usleep(300_000)
            do { try holder.db.execute("COMMIT") } catch { Issue.record("commit failed: \(error)") }
            released.signal()
        }.start()
        // The exclusive lock makes reading the schema busy; the open waits instead of failing.
        let reader = try Connection(path: path)
        #expect(try reader.query("SELECT count(*) FROM t") == [[1]])
        released.wait()
    }

    @Test func lastInsertRowIDAndChanges() throws {
        let db = try Connection(path: directory.path("rowid.sqlite"))
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x)")
        try db.run("INSERT INTO t (id, x) VALUES (?, ?)", [100, "a"])
        #expect(db.lastInsertRowID == 100)
        try db.run("INSERT INTO t (x) VALUES ('b'), ('c')")
        #expect(db.lastInsertRowID == 102)
        #expect(db.changes == 2)
        try db.run("UPDATE t SET x = ?", ["z"])
        #expect(db.changes == 3)
    }

    @Test func corruptFileThrowsNotADatabase() throws {
        let path = directory.path("corrupt.sqlite")
        let garbage = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(garbage)))
        let error = #expect(throws: SQLiteError.self) { try Connection(path: path) }
        #expect(error?.code == .notADatabase)
        #expect(error?.operation.hasPrefix("open") == true)
        let readOnly = #expect(throws: SQLiteError.self) { try Connection(path: path, readOnly: true) }
        #expect(readOnly?.code == .notADatabase)
    }

    @Test func readOnlyConnections() throws {
        let missing = #expect(throws: SQLiteError.self) {
            try Connection(path: directory.path("missing.sqlite"), readOnly: true)
        }
        #expect(missing?.code == .cantOpen)
        #expect(!directory.exists("missing.sqlite"))

        let path = directory.path("ro.sqlite")
        try Connection(path: path).execute("CREATE TABLE t (x)")
        let db = try Connection(path: path, readOnly: true)
        let error = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (1)") }
        #expect(error?.code == .readOnly)
    }

    @Test func prepareErrors() throws {
        let db = try Connection(path: ":memory:")
        let syntax = #expect(throws: SQLiteError.self) { try db.prepare("SELEC 1") }
        #expect(syntax?.code == .error)
        #expect(syntax?.operation == "prepare SELEC")
        let missing = #expect(throws: SQLiteError.self) { try db.prepare("SELECT * FROM nowhere") }
        #expect(missing?.message.contains("no such table") == true)
        let several = #expect(throws: SQLiteError.self) { try db.prepare("SELECT 1; SELECT 2") }
        #expect(several?.code == .misuse)
        let empty = #expect(throws: SQLiteError.self) { try db.prepare("  ") }
        #expect(empty?.code == .misuse)
        #expect(try db.prepare("SELECT 1;").allRows() == [[1]])
        let exec = #expect(throws: SQLiteError.self) { try db.execute("CREATE TABLE t (x); CREATE TABLE t (x);") }
        #expect(exec?.message.contains("already exists") == true)
    }
}

/// Hands a connection to one other thread. `@unchecked Sendable`: the test thread does not touch
/// `db` after starting that thread (it only opens a connection of its own).
private final class LockHolder: @unchecked Sendable {
    let db: Connection
    init(_ db: Connection) { self.db = db }
}

/// Errors collected from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []

    func append(_ failure: String) {
        lock.lock()
        failures.append(failure)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }
}
