internal import CSQLite

/// The one error type thrown by the `SQLite` module.
///
/// Carries SQLite's primary and extended result codes, the connection's error message
/// (`sqlite3_errmsg`), the name of the operation that failed (for example `step INSERT`) and
/// the place in this module that detected the failure.
///
/// An error never contains bound parameter values: only codes, SQLite's own message (which
/// names tables, columns and constraints, not argument values) and the statement's leading
/// keyword.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// A primary SQLite result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let error = Code(rawValue: SQLITE_ERROR)
        public static let `internal` = Code(rawValue: SQLITE_INTERNAL)
        public static let permission = Code(rawValue: SQLITE_PERM)
        public static let abort = Code(rawValue: SQLITE_ABORT)
        public static let busy = Code(rawValue: SQLITE_BUSY)
        public static let locked = Code(rawValue: SQLITE_LOCKED)
        public static let noMemory = Code(rawValue: SQLITE_NOMEM)
        public static let readOnly = Code(rawValue: SQLITE_READONLY)
        public static let interrupt = Code(rawValue: SQLITE_INTERRUPT)
        public static let ioError = Code(rawValue: SQLITE_IOERR)
        public static let corrupt = Code(rawValue: SQLITE_CORRUPT)
        public static let full = Code(rawValue: SQLITE_FULL)
        public static let cantOpen = Code(rawValue: SQLITE_CANTOPEN)
        public static let schema = Code(rawValue: SQLITE_SCHEMA)
        public static let tooBig = Code(rawValue: SQLITE_TOOBIG)
        public static let constraint = Code(rawValue: SQLITE_CONSTRAINT)
        public static let mismatch = Code(rawValue: SQLITE_MISMATCH)
        public static let misuse = Code(rawValue: SQLITE_MISUSE)
        public static let range = Code(rawValue: SQLITE_RANGE)
        public static let notADatabase = Code(rawValue: SQLITE_NOTADB)

        /// SQLite's generic English text for the code, e.g. "constraint failed".
        public var description: String {
            String(cString: sqlite3_errstr(rawValue))
        }
    }

    /// An extended SQLite result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY_SNAPSHOT`, ...).
    /// Its low byte is the primary ``Code``.
    public struct ExtendedCode: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The primary code this extended code refines.
        public var primary: Code { Code(rawValue: rawValue & 0xff) }

        // The C macros are `(PRIMARY | (n<<8))` expressions, which do not import into Swift;
        // these mirror sqlite3.h.
        private init(_ primary: Int32, _ refinement: Int32) {
            rawValue = primary | refinement << 8
        }

        public static let constraintCheck = ExtendedCode(SQLITE_CONSTRAINT, 1)
        public static let constraintForeignKey = ExtendedCode(SQLITE_CONSTRAINT, 3)
        public static let constraintNotNull = ExtendedCode(SQLITE_CONSTRAINT, 5)
        public static let constraintPrimaryKey = ExtendedCode(SQLITE_CONSTRAINT, 6)
        public static let constraintUnique = ExtendedCode(SQLITE_CONSTRAINT, 8)
        public static let busyRecovery = ExtendedCode(SQLITE_BUSY, 1)
        public static let busySnapshot = ExtendedCode(SQLITE_BUSY, 2)
        public static let readOnlyDatabaseMoved = ExtendedCode(SQLITE_READONLY, 4)
    }

    /// The primary result code.
    public let code: Code
    /// The extended result code (equal to ``code`` when SQLite gave no refinement).
    public let extendedCode: ExtendedCode
    /// SQLite's message for this failure (`sqlite3_errmsg`), or a message from this module.
    public let message: String
    /// The operation that failed, e.g. `open`, `prepare SELECT`, `step INSERT`, `exec`.
    /// Never contains SQL arguments.
    public let operation: String
    /// The `#fileID` of the place in this module that detected the failure.
    public let file: String
    /// The `#line` of the place in this module that detected the failure.
    public let line: Int

    /// Creates an error from an extended (or primary) result code.
    public init(
        extendedCode: Int32, message: String, operation: String, file: String = #fileID, line: Int = #line
    ) {
        self.code = Code(rawValue: extendedCode & 0xff)
        self.extendedCode = ExtendedCode(rawValue: extendedCode)
        self.message = message
        self.operation = operation
        self.file = file
        self.line = line
    }

    public var description: String {
        "SQLiteError(\(code.rawValue)/\(extendedCode.rawValue) \(code)) in \(operation): \(message)"
            + " (at \(file):\(line))"
    }
}

// MARK: - The one place return codes are checked

/// Returns `result` if it is `SQLITE_OK`, `SQLITE_ROW` or `SQLITE_DONE`; otherwise throws a
/// `SQLiteError` with the connection's current error message. `db` may be nil when no
/// connection exists (then SQLite's generic text for the code is used).
@discardableResult
func check(
    _ result: Int32, _ db: OpaquePointer?, _ operation: @autoclosure () -> String,
    file: String = #fileID, line: Int = #line
) throws(SQLiteError) -> Int32 {
    switch result {
    case SQLITE_OK, SQLITE_ROW, SQLITE_DONE:
        return result
    default:
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
        throw SQLiteError(extendedCode: result, message: message, operation: operation(), file: file, line: line)
    }
}
