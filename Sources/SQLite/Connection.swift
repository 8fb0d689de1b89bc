internal import CSQLite
internal import CSQLiteWAL

/// A connection to one SQLite database file (`sqlite3 *`), closed when the object is released.
///
/// **Threading.** The connection is opened with `SQLITE_OPEN_NOMUTEX` (SQLite's multi-thread
/// mode): SQLite does not lock it internally, so it must be used by one thread at a time.
/// `Connection` and ``Statement`` are therefore deliberately not `Sendable`; own a connection
/// from a single actor or thread (several connections to the same WAL file are fine).
///
/// Every SQLite return code is checked; failures throw ``SQLiteError``, which never contains
/// bound values.
public final class Connection {
    let handle: OpaquePointer
    /// Statements prepared through ``cached(_:)``, keyed by their exact SQL text.
    private var statementCache: [String: Statement] = [:]
    /// Statements for SQL given as string literals, keyed by the literal's address (a literal
    /// lives as long as the program), so a lookup does not hash the SQL text.
    private var literalCache: [UnsafePointer<UInt8>: Statement] = [:]
    /// The wait for other connections' locks in milliseconds (``busyTimeout(ms:)``), which
    /// ``journalModeWAL()`` also waits where SQLite's busy handler does not.
    var busyTimeoutMs = Connection.defaultBusyTimeoutMs

    /// Process-wide SQLite settings, applied once before the first connection opens: memory
    /// statistics off (nothing reads them, and they put a global mutex around every allocation),
    /// and the VFS shim that writes each WAL frame in one system call (DECISIONS 25).
    private static let processConfiguration: Void = {
        _ = vg_sqlite_disable_memory_statistics()
        _ = vg_sqlite_wal_frames_register()  // on failure SQLite's own VFS stays the default
    }()

    /// WAL frames written as one system call (header and page together) by every connection of
    /// the process so far.
    public static var combinedWALFrameWrites: UInt64 { UInt64(vg_sqlite_wal_frames_combined()) }

    /// How long a new connection waits for locks held by others (ms).
    public static let defaultBusyTimeoutMs = 5000

    /// Opens (and, unless `readOnly`, creates) the database at `path`. Locks held by other
    /// connections are waited for up to ``defaultBusyTimeoutMs``.
    ///
    /// The file header is read immediately, so a file that is not a SQLite database fails
    /// here with ``SQLiteError/Code/notADatabase`` instead of at first use.
    /// - Parameters:
    ///   - path: a file path, or `":memory:"` for a private in-memory database.
    ///   - readOnly: open with `SQLITE_OPEN_READONLY`; the file must already exist.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        _ = Self.processConfiguration
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        // EXRESCODE: every API call returns extended result codes (e.g. SQLITE_CONSTRAINT_UNIQUE).
        let flags = access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var db: OpaquePointer?
        let result = sqlite3_open_v2(path, &db, flags, nil)
        do throws(SQLiteError) {
            try check(result, db, "open")
            guard db != nil else {
                throw SQLiteError(extendedCode: SQLITE_NOMEM, message: "sqlite3_open_v2 returned no handle",
                                  operation: "open")
            }
            // Wait for other connections' locks rather than fail at once: right after a crash the
            // first connection to read runs WAL recovery, and any other one opening meanwhile
            // would get SQLITE_BUSY_RECOVERY. `busyTimeout(ms:)` changes the wait.
            sqlite3_busy_timeout(db, Int32(Self.defaultBusyTimeoutMs))
            // Opening is lazy; reading the schema makes SQLite parse the header now.
            try check(sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nil, nil, nil), db, "open (read schema)")
        } catch {
            // Even a failed open allocates a handle that must be closed (NULL is a no-op).
            sqlite3_close_v2(db)
            throw error
        }
        handle = db!
    }

    deinit {
        // Finalize cached statements first; statements still held elsewhere keep the handle
        // alive as a "zombie" until they are finalized (that is what close_v2 is for).
        statementCache.removeAll()
        literalCache.removeAll()
        // close_v2 only fails for a bad handle; there is nobody to report to in deinit.
        sqlite3_close_v2(handle)
    }

    // MARK: - Running SQL

    /// Runs one or more `;`-separated statements that take no parameters (schema DDL,
    /// PRAGMAs). Result rows are discarded.
    public func execute(_ sql: String) throws(SQLiteError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), handle, "exec \(leadingKeyword(sql))")
    }

    /// Compiles one SQL statement. Use ``cached(_:)`` for statements that run repeatedly.
    /// - Throws: ``SQLiteError`` for a syntax error, an unknown table, or text after the
    ///   first statement (use ``execute(_:)`` for several statements).
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try prepare(sql, flags: 0)
    }

    /// Returns the prepared statement for `sql` from this connection's cache, preparing it on
    /// first use. The statement is reset and its bindings cleared before it is returned, so
    /// any earlier user of the same SQL must be finished with it.
    public func cached(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        // PERSISTENT hints SQLite that the statement is long-lived (different allocator).
        let statement = try prepare(sql, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        statementCache[sql] = statement
        return statement
    }

    /// Re-preparations of the cached statements so far (see ``Statement/reprepareCount``): a
    /// statement that is re-prepared while the schema stays the same has a plan that depends on
    /// its bindings, and pays a parse at every change of them.
    public var cachedStatementReprepares: Int {
        statementCache.values.reduce(0) { $0 + $1.reprepareCount } + literalCache.values.reduce(0) { $0 + $1.reprepareCount }
    }

    /// ``cached(_:)`` for SQL written as a literal, for statements that run per message:
    /// the cache is keyed by the literal's address instead of its text.
    public func cached(literal sql: StaticString) throws(SQLiteError) -> Statement {
        if let statement = literalCache[sql.utf8Start] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        let text = sql.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        let statement = try prepare(text, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        literalCache[sql.utf8Start] = statement
        return statement
    }

    /// Runs `sql` (a cached statement) with `values` to completion. For INSERT/UPDATE/DELETE.
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        try cached(sql).run(values)
    }

    /// Runs the query `sql` (a cached statement) with `values` and returns all rows.
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try cached(sql)
        if !values.isEmpty {
            try statement.bind(values)
        }
        return try statement.allRows()
    }

    private func prepare(_ sql: String, flags: UInt32) throws(SQLiteError) -> Statement {
        let verb = leadingKeyword(sql)
        var statement: OpaquePointer?
        var trailing = false
        let result = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let result = sqlite3_prepare_v3(handle, text, -1, flags, &statement, &tail)
            if result == SQLITE_OK, let tail {
                trailing = String(cString: tail).contains { !$0.isWhitespace && $0 != ";" }
            }
            return result
        }
        try check(result, handle, "prepare \(verb)")
        guard let statement else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "no SQL statement to prepare",
                              operation: "prepare \(verb)")
        }
        guard !trailing else {
            sqlite3_finalize(statement)
            throw SQLiteError(extendedCode: SQLITE_MISUSE,
                              message: "text after the first statement; use execute(_:) for several statements",
                              operation: "prepare \(verb)")
        }
        return Statement(handle: statement, verb: verb)
    }

    // MARK: - Transactions

    /// How a transaction takes its locks (`BEGIN DEFERRED/IMMEDIATE/EXCLUSIVE`).
    public enum TransactionKind: String, Sendable {
        /// Locks are taken at first read or write. A later write may fail with `.busy`.
        case deferred = "DEFERRED"
        /// The write lock is taken at BEGIN; the usual choice for writers.
        case immediate = "IMMEDIATE"
        /// Like immediate; in WAL mode there is no difference.
        case exclusive = "EXCLUSIVE"
    }

    /// Runs `body` inside `BEGIN ... COMMIT`. If `body` throws, or COMMIT fails, the
    /// transaction is rolled back and the error rethrown. Transactions do not nest.
    public func transaction<Result>(
        _ kind: TransactionKind = .deferred, _ body: () throws -> Result
    ) throws -> Result {
        try cached("BEGIN \(kind.rawValue)").run()
        do {
            let result = try body()
            try cached("COMMIT").run()
            return result
        } catch {
            // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); a failed
            // ROLLBACK must not hide the original error.
            if sqlite3_get_autocommit(handle) == 0 {
                _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            }
            throw error
        }
    }

    /// Whether a transaction is open (SQLite is not in autocommit mode).
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    // MARK: - Results of the last write

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// The number of rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int {
        Int(sqlite3_changes64(handle))
    }
}

// Not Sendable on purpose: a NOMUTEX connection must not be used by two threads at once.
// Move it into the actor or thread that owns it instead.
@available(*, unavailable)
extension Connection: Sendable {}
