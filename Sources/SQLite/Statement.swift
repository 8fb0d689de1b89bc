internal import CSQLite

/// `SQLITE_TRANSIENT`: tells SQLite to copy bound text and blobs before the bind call returns.
/// The C macro is a cast expression and does not import into Swift.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// `SQLITE_STATIC` (a null destructor): SQLite uses the bound bytes in place; they must stay
/// valid until the parameter is bound again or the bindings are cleared.
private let borrowed: sqlite3_destructor_type? = nil

/// A prepared SQL statement (`sqlite3_stmt`), finalized when the object is released.
///
/// **Indexing.** Both parameters and result columns are **0-based** in this API: `bind(_:at: 0)`
/// binds SQLite's parameter `?1`, and `int64(0)` reads the first result column. Variadic and
/// array `bind` assign parameters in order.
///
/// **Binding.** Parameters are bound in one of two ways, and the statement knows which holds
/// (``Bindings``, as GRDB's statements do):
/// - `bind(...)` binds values SQLite copies; they stay bound, through any number of `step`,
///   `reset` and `run()` calls, until they are replaced or cleared;
/// - `run(values)` binds text and blobs *in place* from a buffer the statement owns (no copy,
///   no allocation per parameter: DECISIONS 25), for that one run only, and leaves every
///   parameter NULL when it returns.
///
/// **Threading.** Like its ``Connection``, a statement is not `Sendable` and must be used
/// from one thread at a time.
///
/// A statement keeps its connection's C handle alive: ``Connection`` closes with
/// `sqlite3_close_v2`, which defers the close until the last statement is finalized.
public final class Statement {
    let handle: OpaquePointer
    /// The leading SQL keyword (e.g. `INSERT`), used to name the operation in errors.
    private let verb: String
    /// Set by `step`, cleared by `reset`: SQLite rejects binding to a statement that has been
    /// stepped and not reset.
    private var needsReset = false
    /// The text and blob parameters of a `run(values)`, which binds them from here (grown as needed).
    private var parameterBuffer: UnsafeMutableRawPointer?
    private var parameterBufferCapacity = 0

    /// Where the bound parameters' bytes live.
    public enum Bindings: Equatable, Sendable {
        /// Every parameter is NULL: a new statement, after ``clearBindings()``, after `run(values)`.
        case cleared
        /// Bound with `bind`: SQLite holds its own copies; kept until replaced or cleared.
        case copied
        /// Bound by `run(values)` from `parameterBuffer`, for that run only.
        case borrowed
    }

    /// Where the bound parameters live now.
    public private(set) var bindings = Bindings.cleared

    init(handle: OpaquePointer, verb: String) {
        self.handle = handle
        self.verb = verb
    }

    deinit {
        // sqlite3_finalize returns the error of the most recent step, already reported.
        sqlite3_finalize(handle)
        parameterBuffer?.deallocate()
    }

    private var db: OpaquePointer? {
        sqlite3_db_handle(handle)
    }

    /// How many times SQLite re-prepared the statement since it was made (after a schema
    /// change, or a binding its query plan depends on): each costs a parse and a plan.
    public var reprepareCount: Int {
        Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0))
    }

    /// The number of `?` parameters in the statement.
    public var parameterCount: Int {
        Int(sqlite3_bind_parameter_count(handle))
    }

    /// The number of columns in each result row (0 for statements that return no data).
    public var columnCount: Int {
        Int(sqlite3_column_count(handle))
    }

    /// The name of result column `column` (0-based), as given by `AS` or SQLite's default.
    public func columnName(_ column: Int) -> String {
        precondition(column >= 0 && column < columnCount, "column \(column) out of range")
        return sqlite3_column_name(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }

    // MARK: - Binding

    /// Resets the statement and binds `values` (copied) to parameters 0, 1, 2, ... in order,
    /// replacing every previous binding. The count must equal ``parameterCount``.
    public func bind(_ values: SQLiteValue...) throws(SQLiteError) {
        try bind(values)
    }

    /// Resets the statement and binds `values` (copied) to parameters 0, 1, 2, ... in order,
    /// replacing every previous binding. The count must equal ``parameterCount``.
    /// - Throws: ``SQLiteError`` with code `.range` on a count mismatch.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        try checkCount(values)
        reset()
        // Every parameter is bound below, replacing its old value: no need to clear first.
        for (index, value) in values.enumerated() {
            try bind(value, at: index)
        }
    }

    /// Binds `value` (copied) to parameter `index` (0-based; SQLite's `?index+1`). Resets the
    /// statement first if it was stepped; other parameters keep their values.
    public func bind(_ value: SQLiteValue, at index: Int) throws(SQLiteError) {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let integer): try bind(integer, at: index)
        case .real(let real): try bind(real, at: index)
        case .text(let text): try bind(text, at: index)
        case .blob(let blob): try bind(blob, at: index)
        }
    }

    /// Binds SQL NULL to parameter `index` (0-based).
    public func bindNull(at index: Int) throws(SQLiteError) {
        let position = try prepareToBind(index)
        try check(sqlite3_bind_null(handle, position), db, "bind \(verb)")
    }

    /// Binds an integer to parameter `index` (0-based).
    public func bind(_ value: Int64, at index: Int) throws(SQLiteError) {
        let position = try prepareToBind(index)
        try check(sqlite3_bind_int64(handle, position, value), db, "bind \(verb)")
    }

    /// Binds an integer to parameter `index` (0-based).
    public func bind(_ value: Int, at index: Int) throws(SQLiteError) {
        try bind(Int64(value), at: index)
    }

    /// Binds a floating-point number to parameter `index` (0-based). NaN is stored as NULL by SQLite.
    public func bind(_ value: Double, at index: Int) throws(SQLiteError) {
        let position = try prepareToBind(index)
        try check(sqlite3_bind_double(handle, position, value), db, "bind \(verb)")
    }

    /// Binds UTF-8 text to parameter `index` (0-based). SQLite copies the bytes.
    public func bind(_ value: String, at index: Int) throws(SQLiteError) {
        let position = try prepareToBind(index)
        var value = value
        let result = value.withUTF8 { utf8 in
            // A NULL pointer would bind SQL NULL instead of the empty string.
            let pointer = utf8.baseAddress ?? ("" as StaticString).utf8Start
            return pointer.withMemoryRebound(to: CChar.self, capacity: max(utf8.count, 1)) { text in
                sqlite3_bind_text64(handle, position, text, UInt64(utf8.count), transient, UInt8(SQLITE_UTF8))
            }
        }
        try check(result, db, "bind \(verb)")
    }

    /// Binds a blob to parameter `index` (0-based). SQLite copies the bytes; an empty array
    /// binds an empty blob, not NULL.
    public func bind(_ value: [UInt8], at index: Int) throws(SQLiteError) {
        let position = try prepareToBind(index)
        let result = value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                sqlite3_bind_blob64(handle, position, base, UInt64(bytes.count), transient)
            } else {
                // A NULL pointer would bind SQL NULL; a zero-length zeroblob is an empty blob.
                sqlite3_bind_zeroblob(handle, position, 0)
            }
        }
        try check(result, db, "bind \(verb)")
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        // Always returns SQLITE_OK.
        sqlite3_clear_bindings(handle)
        bindings = .cleared
    }

    private func checkCount(_ values: [SQLiteValue]) throws(SQLiteError) {
        guard values.count == parameterCount else {
            throw SQLiteError(extendedCode: SQLITE_RANGE,
                              message: "statement has \(parameterCount) parameters, got \(values.count) values",
                              operation: "bind \(verb)")
        }
    }

    private func prepareToBind(_ index: Int) throws(SQLiteError) -> Int32 {
        guard index >= 0, index < parameterCount, let position = Int32(exactly: index + 1) else {
            throw SQLiteError(extendedCode: SQLITE_RANGE,
                              message: "parameter index \(index) out of range 0..<\(parameterCount)",
                              operation: "bind \(verb)")
        }
        if needsReset { reset() }
        // Only `run(values)` borrows, and it clears before it returns.
        assert(bindings != .borrowed, "a copied binding would join parameters borrowed for a run")
        bindings = .copied
        return position
    }

    // MARK: - Execution

    /// Runs the statement to its next result row.
    /// - Returns: `true` if a row is available through the column getters, `false` when done.
    /// - Throws: ``SQLiteError`` (for example `.constraint`, `.busy`).
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        needsReset = true
        return try check(sqlite3_step(handle), db, "step \(verb)") == SQLITE_ROW
    }

    /// Rewinds the statement so it can run again; the bindings are kept.
    public func reset() {
        // sqlite3_reset returns the error of the most recent step, which that step already threw.
        sqlite3_reset(handle)
        needsReset = false
    }

    /// Runs the statement to completion and resets it, with `values` bound for this run only
    /// (see `run(_:)` with an array); with no values, with the current bindings. For INSERT,
    /// UPDATE, DELETE and DDL.
    public func run(_ values: SQLiteValue...) throws(SQLiteError) {
        try run(values)
    }

    /// Runs the statement to completion and resets it. For INSERT, UPDATE, DELETE and DDL.
    ///
    /// With `values` (their count must equal ``parameterCount``), they are bound for this run
    /// only: text and blobs are copied once into a buffer the statement keeps and bound from
    /// there (`borrowed`), and **every parameter is NULL when this returns**, whether it
    /// succeeded or not. (The build's SQLite has no lookaside memory: each parameter SQLite
    /// copied itself cost a `malloc` and a `free`; DECISIONS 25.)
    ///
    /// With no values, it runs with the current bindings: those made with `bind`, or NULL.
    public func run(_ values: [SQLiteValue]) throws(SQLiteError) {
        guard !values.isEmpty else {
            reset()
            defer { reset() }
            while try step() {}
            return
        }
        try checkCount(values)
        reset()
        // Also after a failed bind: no parameter may keep pointing into the buffer, which the
        // next run may move (SQLite does not read a parameter when clearing it).
        defer {
            reset()
            clearBindings()
            if parameterBufferCapacity > Self.keptParameterBytes {
                parameterBuffer?.deallocate()
                parameterBuffer = nil
                parameterBufferCapacity = 0
            }
        }
        try bindBorrowed(values)
        while try step() {}
    }

    /// Binds `values` for one run: text and blobs from `parameterBuffer`, the rest as usual.
    private func bindBorrowed(_ values: [SQLiteValue]) throws(SQLiteError) {
        var length = 0
        for value in values {
            switch value {
            case .text(let text): length += text.utf8.count
            case .blob(let blob): length += blob.count
            default: break
            }
        }
        let buffer = parameterBytes(length)
        var offset = 0
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .text(let text):
                let start = buffer + offset  // never NULL, even for "": NULL would bind SQL NULL
                let count = copyUTF8(text, to: start)
                offset += count
                bindings = .borrowed
                try check(sqlite3_bind_text64(handle, position, start.assumingMemoryBound(to: CChar.self),
                                              UInt64(count), borrowed, UInt8(SQLITE_UTF8)),
                          db, "bind \(verb)")
            case .blob(let blob) where !blob.isEmpty:
                let start = buffer + offset
                blob.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                offset += blob.count
                bindings = .borrowed
                try check(sqlite3_bind_blob64(handle, position, start, UInt64(blob.count), borrowed), db, "bind \(verb)")
            case .blob:  // empty: a NULL pointer would bind SQL NULL; a zero-length zeroblob is an empty blob
                try check(sqlite3_bind_zeroblob(handle, position, 0), db, "bind \(verb)")
            case .null:
                try check(sqlite3_bind_null(handle, position), db, "bind \(verb)")
            case .integer(let integer):
                try check(sqlite3_bind_int64(handle, position, integer), db, "bind \(verb)")
            case .real(let real):
                try check(sqlite3_bind_double(handle, position, real), db, "bind \(verb)")
            }
        }
    }

    /// At least `length` bytes (and never NULL) that stay valid until the next call.
    private func parameterBytes(_ length: Int) -> UnsafeMutableRawPointer {
        if let buffer = parameterBuffer, length <= parameterBufferCapacity { return buffer }
        parameterBuffer?.deallocate()
        parameterBufferCapacity = max(length, 2 * parameterBufferCapacity, 64)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: parameterBufferCapacity, alignment: 8)
        parameterBuffer = buffer
        return buffer
    }

    /// Parameter bytes kept between runs at most; a larger buffer is freed after its run.
    private static let keptParameterBytes = 64 << 10

    /// Copies the UTF-8 bytes of `text` to `destination`; returns how many.
    private func copyUTF8(_ text: String, to destination: UnsafeMutableRawPointer) -> Int {
        if let count = text.utf8.withContiguousStorageIfAvailable({ utf8 -> Int in
            if let base = utf8.baseAddress { destination.copyMemory(from: base, byteCount: utf8.count) }
            return utf8.count
        }) {
            return count
        }
        var native = text  // a bridged string: withUTF8 makes it contiguous
        return native.withUTF8 { utf8 in
            if let base = utf8.baseAddress { destination.copyMemory(from: base, byteCount: utf8.count) }
            return utf8.count
        }
    }

    /// Calls `body` once per remaining result row, with this statement positioned on the row,
    /// then resets the statement.
    public func forEachRow(_ body: (Statement) throws -> Void) throws {
        defer { reset() }
        while try step() {
            try body(self)
        }
    }

    /// Binds `values` (when non-empty), returns the first result row (`nil` if there is none)
    /// and resets the statement. For point lookups through a cached statement.
    public func firstRow(_ values: SQLiteValue...) throws(SQLiteError) -> [SQLiteValue]? {
        if values.isEmpty { reset() } else { try bind(values) }
        defer { reset() }
        return try step() ? row() : nil
    }

    /// Binds `values`, reads all result rows as arrays of values, then resets the statement.
    public func allRows(_ values: SQLiteValue...) throws(SQLiteError) -> [[SQLiteValue]] {
        try bind(values)
        return try allRows()
    }

    /// Reads all remaining rows as arrays of values, then resets the statement.
    public func allRows() throws(SQLiteError) -> [[SQLiteValue]] {
        defer { reset() }
        var rows: [[SQLiteValue]] = []
        while try step() {
            rows.append(row())
        }
        return rows
    }

    // MARK: - Columns of the current row (0-based)

    /// The whole current row.
    public func row() -> [SQLiteValue] {
        (0..<columnCount).map { value($0) }
    }

    /// Column `column` as a ``SQLiteValue`` of its storage class.
    public func value(_ column: Int) -> SQLiteValue {
        switch type(column) {
        case SQLITE_INTEGER: .integer(int64(column))
        case SQLITE_FLOAT: .real(double(column))
        case SQLITE_TEXT: text(column).map(SQLiteValue.text) ?? .null
        case SQLITE_BLOB: blob(column).map(SQLiteValue.blob) ?? .null
        default: .null
        }
    }

    /// Whether column `column` is SQL NULL.
    public func isNull(_ column: Int) -> Bool {
        type(column) == SQLITE_NULL
    }

    /// Column `column` as an integer (NULL reads as 0; other types are converted by SQLite).
    public func int64(_ column: Int) -> Int64 {
        sqlite3_column_int64(handle, checked(column))
    }

    /// Column `column` as an `Int` (NULL reads as 0).
    public func int(_ column: Int) -> Int {
        Int(int64(column))
    }

    /// Column `column` as a floating-point number (NULL reads as 0.0).
    public func double(_ column: Int) -> Double {
        sqlite3_column_double(handle, checked(column))
    }

    /// Column `column` as text, or nil if it is NULL.
    public func text(_ column: Int) -> String? {
        let index = checked(column)
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        // Order matters: fetch the pointer first, then the byte count of that representation.
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `column` as bytes (copied), or nil if it is NULL. An empty blob is `[]`.
    public func blob(_ column: Int) -> [UInt8]? {
        let index = checked(column)
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        // sqlite3_column_blob returns NULL for a zero-length blob.
        guard let pointer = sqlite3_column_blob(handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private func type(_ column: Int) -> Int32 {
        sqlite3_column_type(handle, checked(column))
    }

    /// Column indexes out of range are a programming error: SQLite's result is undefined.
    private func checked(_ column: Int) -> Int32 {
        precondition(column >= 0 && column < columnCount, "column \(column) out of range 0..<\(columnCount)")
        return Int32(column)
    }
}

// Not Sendable: it belongs to a connection that is used from one thread at a time.
@available(*, unavailable)
extension Statement: Sendable {}

/// The first keyword of `sql` (e.g. `INSERT`), for naming operations in errors without
/// including the SQL text.
func leadingKeyword(_ sql: String) -> String {
    let keyword = sql.drop { !$0.isLetter }.prefix { $0.isLetter }.prefix(16)
    return keyword.isEmpty ? "SQL" : keyword.uppercased()
}
