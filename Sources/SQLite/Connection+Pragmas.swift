internal import CSQLite

extension Connection {
    /// `PRAGMA synchronous` levels: how often SQLite waits for data to reach the disk.
    public enum SynchronousMode: String, Sendable {
        /// No syncs: fastest, a power loss can corrupt the database.
        case off = "OFF"
        /// In WAL mode: durable against application crashes, a power loss may lose the
        /// most recent transactions but does not corrupt.
        case normal = "NORMAL"
        /// Sync on every commit.
        case full = "FULL"
        /// Like full, and also syncs the directory after deleting the journal.
        case extra = "EXTRA"
    }

    /// `sqlite3_wal_checkpoint_v2` modes.
    public enum WALCheckpointMode: Sendable {
        /// Copy as many frames as possible without waiting for readers or writers.
        case passive
        /// Wait for writers, then copy all frames.
        case full
        /// Like full, then wait for readers so the next writer restarts the WAL.
        case restart
        /// Like restart, and truncate the WAL file to zero bytes.
        case truncate

        var rawValue: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .full: SQLITE_CHECKPOINT_FULL
            case .restart: SQLITE_CHECKPOINT_RESTART
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// The schema version stored in the database header (`PRAGMA user_version`), 0 for a new
    /// database. Use it to run migrations once: read it inside an immediate or exclusive
    /// transaction, migrate, and set the new version in the same transaction (read before the
    /// transaction, it may be stale by the time the write lock is granted).
    public var userVersion: Int32 {
        get throws(SQLiteError) {
            let statement = try cached("PRAGMA user_version")
            defer { statement.reset() }
            guard try statement.step() else {
                throw SQLiteError(extendedCode: SQLITE_ERROR, message: "PRAGMA user_version returned no row",
                                  operation: "PRAGMA user_version")
            }
            return Int32(truncatingIfNeeded: statement.int64(0))
        }
    }

    /// Sets `PRAGMA user_version` (transactional: rolled back with the enclosing transaction).
    public func setUserVersion(_ version: Int32) throws(SQLiteError) {
        // PRAGMA values cannot be bound; an Int32 is safe to format into the SQL.
        try execute("PRAGMA user_version = \(version)")
    }

    /// Makes operations wait up to `ms` milliseconds for locks held by other connections
    /// before failing with `.busy` (`sqlite3_busy_timeout`; 0 turns waiting off).
    public func busyTimeout(ms: Int) throws(SQLiteError) {
        try check(sqlite3_busy_timeout(handle, Int32(clamping: ms)), handle, "busy_timeout")
        busyTimeoutMs = max(0, ms)
    }

    /// Switches the database to write-ahead logging (`PRAGMA journal_mode=WAL`), which lets
    /// readers run concurrently with one writer. The mode persists in the file.
    ///
    /// Several connections may switch one new database at once: SQLite answers the losers
    /// `SQLITE_BUSY` at once, without its busy handler (each holds the read lock it took to look
    /// at the file and wants the write lock, which it treats as a deadlock), so a busy switch is
    /// retried here for up to the busy timeout. By then the winner has switched the file, and
    /// the retry finds it in WAL mode.
    /// - Throws: ``SQLiteError`` if SQLite reports any mode other than `wal` afterwards (for
    ///   example `memory` for an in-memory database), or `.busy` once the busy timeout passed.
    public func journalModeWAL() throws(SQLiteError) {
        var waitedMs: Int32 = 0
        var pauseMs: Int32 = 1
        while true {
            do throws(SQLiteError) {
                return try switchToWAL()
            } catch where error.code == .busy && Int(waitedMs) < busyTimeoutMs {
                waitedMs += max(1, sqlite3_sleep(pauseMs))  // the milliseconds slept
                pauseMs = min(pauseMs * 2, 50)
            }
        }
    }

    private func switchToWAL() throws(SQLiteError) {
        let statement = try prepare("PRAGMA journal_mode=WAL")
        let mode = try statement.step() ? statement.text(0)?.lowercased() : nil
        guard mode == "wal" else {
            throw SQLiteError(extendedCode: SQLITE_ERROR,
                              message: "journal_mode is '\(mode ?? "unknown")' after requesting 'wal'",
                              operation: "PRAGMA journal_mode")
        }
    }

    /// Sets `PRAGMA synchronous` for this connection.
    public func setSynchronous(_ mode: SynchronousMode) throws(SQLiteError) {
        try execute("PRAGMA synchronous = \(mode.rawValue)")
    }

    /// Syncs the journal (in WAL mode: the write-ahead log) to disk through SQLite's own file
    /// handle and VFS (`SQLITE_FCNTL_JOURNAL_POINTER`, then `xSync`): every transaction this
    /// connection committed so far becomes durable, as if it had been committed with
    /// `synchronous = full`. Does nothing if no journal is open.
    public func syncJournal() throws(SQLiteError) {
        var file: UnsafeMutablePointer<sqlite3_file>?
        try check(sqlite3_file_control(handle, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file), handle,
                  "sqlite3_file_control(JOURNAL_POINTER)")
        guard let file, let methods = file.pointee.pMethods, let sync = methods.pointee.xSync else { return }
        let synced = sync(file, SQLITE_SYNC_NORMAL)
        guard synced == SQLITE_OK else {
            throw SQLiteError(extendedCode: synced, message: "the journal could not be synced", operation: "journal sync")
        }
    }

    /// Copies committed WAL frames into the database file (`sqlite3_wal_checkpoint_v2`).
    /// - Returns: the number of frames in the WAL and how many were checkpointed (both -1
    ///   when the database is not in WAL mode).
    /// - Throws: ``SQLiteError`` `.busy` when a blocking mode could not finish.
    @discardableResult
    public func walCheckpoint(
        _ mode: WALCheckpointMode = .passive
    ) throws(SQLiteError) -> (walFrames: Int, checkpointedFrames: Int) {
        var walFrames: Int32 = 0
        var checkpointed: Int32 = 0
        try check(sqlite3_wal_checkpoint_v2(handle, nil, mode.rawValue, &walFrames, &checkpointed),
                  handle, "checkpoint")
        return (Int(walFrames), Int(checkpointed))
    }
}
