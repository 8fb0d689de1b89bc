internal import CSQLite

/// The SQLite library this process runs with.
public enum SQLiteLibrary {
    /// Its version at run time (`sqlite3_libversion`), e.g. `3.40.1`.
    public static var version: String { String(cString: sqlite3_libversion()) }
}
