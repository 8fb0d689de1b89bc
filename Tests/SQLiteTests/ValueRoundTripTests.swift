import SQLite
import Testing

@Suite("Binding and reading values")
struct ValueRoundTripTests {
    let directory: TemporaryDirectory
    let db: Connection

    init() throws {
        directory = try TemporaryDirectory()
        db = try Connection(path: directory.path("values.sqlite"))
        try db.execute("""
            CREATE TABLE item (id INTEGER PRIMARY KEY, value ANY);
            CREATE TABLE typed (i INTEGER, r REAL, t TEXT, b BLOB);
            """)
    }

    /// A value with a short name, so large blobs are not printed in the test log.
    struct Case: Sendable, CustomTestStringConvertible {
        let value: SQLiteValue
        var testDescription: String {
            if case .blob(let bytes) = value { "blob(\(bytes.count) bytes)" } else { String(describing: value) }
        }
    }

    static let values: [Case] = ([
        .null,
        .integer(0), .integer(-1), .integer(Int64.max), .integer(Int64.min),
        .real(0.5), .real(-1.25e300), .real(.infinity), .real(-.infinity), .real(Double.leastNonzeroMagnitude),
        .text(""), .text("hello"), .text("héllo, wörld 🫀 ∑"), .text("nul\u{0}inside"),
        .blob([]), .blob([0]), .blob([0xde, 0xad, 0xbe, 0xef]),
        .blob((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })  // 3 MiB
    ] as [SQLiteValue]).map(Case.init)

    @Test(arguments: values)
    func roundTrip(_ testCase: Case) throws {
        let value = testCase.value
        let insert = try db.prepare("INSERT INTO item (value) VALUES (?)")
        try insert.bind(value)
        #expect(try insert.step() == false)
        let id = db.lastInsertRowID
        #expect(db.changes == 1)

        let select = try db.prepare("SELECT value, typeof(value) FROM item WHERE id = ?")
        try select.bind(id, at: 0)
        #expect(try select.step())
        #expect(select.columnCount == 2)
        #expect(select.value(0) == value)
        #expect(select.isNull(0) == (value == .null))
        switch value {
        case .null:
            #expect(select.text(0) == nil)
            #expect(select.blob(0) == nil)
            #expect(select.int64(0) == 0)
            #expect(select.text(1) == "null")
        case .integer(let integer):
            #expect(select.int64(0) == integer)
            #expect(select.text(1) == "integer")
        case .real(let real):
            #expect(select.double(0) == real)
            #expect(select.text(1) == "real")
        case .text(let text):
            #expect(select.text(0) == text)  // empty text stays "" (not NULL)
            #expect(select.text(1) == "text")
        case .blob(let blob):
            #expect(select.blob(0) == blob)  // empty blob reads as [] (not nil)
            #expect(select.text(1) == "blob")
        }
        #expect(try select.step() == false)

        // `run` binds text and blobs in place instead of copying them: the same bytes arrive.
        try insert.run(value)
        #expect(try db.prepare("SELECT value FROM item WHERE id = ?").firstRow(.integer(db.lastInsertRowID)) == [value])
    }

    /// `run(values)` leaves no parameter bound to the bytes it borrowed: a later `run()` without
    /// values binds NULLs, and a count mismatch is refused before anything is bound.
    @Test func runClearsItsBorrowedBindings() throws {
        let insert = try db.prepare("INSERT INTO typed (t, b) VALUES (?, ?)")
        try insert.run(.text("borrowed"), .blob([1, 2, 3]))
        try insert.run()
        #expect(try db.query("SELECT t, b FROM typed ORDER BY rowid") == [[.text("borrowed"), .blob([1, 2, 3])], [.null, .null]])
        let error = #expect(throws: SQLiteError.self) { try insert.run(.text("one")) }
        #expect(error?.code == .range)
        #expect(try db.query("SELECT count(*) FROM typed") == [[.integer(2)]])
    }

    /// `run` copies every text and blob parameter of a row into one buffer it reuses: rows of
    /// growing, shrinking and empty values, and one larger than the buffer it keeps, all arrive
    /// whole, each value in its own column.
    @Test func runBindsManyTextAndBlobParametersFromOneBuffer() throws {
        try db.execute("CREATE TABLE wide (a TEXT, b BLOB, c TEXT, d BLOB, e INTEGER)")
        let insert = try db.prepare("INSERT INTO wide (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)")
        var rows: [[SQLiteValue]] = []
        for size in [0, 1, 15, 16, 300, 5, 70_000, 2, 1_000] {
            let row: [SQLiteValue] = [
                .text(String(repeating: "é", count: size % 40) + "\(size)"),
                .blob((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
                .text(size % 2 == 0 ? "" : "x"),
                .blob(Array(repeating: UInt8(size % 251), count: size / 3)),
                .integer(Int64(size)),
            ]
            try insert.run(row)
            rows.append(row)
        }
        let stored = try db.query("SELECT a, b, c, d, e FROM wide ORDER BY rowid")
        #expect(stored.count == rows.count)
        for (got, want) in zip(stored, rows) {
            #expect(got[0] == want[0] && got[2] == want[2] && got[4] == want[4])
            #expect((got[1].blobValue ?? []) == (want[1].blobValue ?? []) && (got[3].blobValue ?? []) == (want[3].blobValue ?? []))
        }
    }

    @Test func typedOverloadsAndLiterals() throws {
        let insert = try db.prepare("INSERT INTO typed (i, r, t, b) VALUES (?, ?, ?, ?)")
        #expect(insert.parameterCount == 4)
        try insert.bind(42, at: 0)
        try insert.bind(2.5, at: 1)
        try insert.bind("text", at: 2)
        try insert.bind([1, 2, 3] as [UInt8], at: 3)
        try insert.step()
        // Rebinding after a step resets the statement automatically; unchanged parameters keep values.
        try insert.bind(Int64(7), at: 0)
        try insert.bindNull(at: 3)
        try insert.step()
        try insert.bind(nil, 1.5, "literal", .blob([]))
        try insert.step()
        try insert.run(.integer(9), nil, nil, nil)

        let rows = try db.query("SELECT i, r, t, b FROM typed ORDER BY rowid")
        #expect(rows == [
            [42, 2.5, "text", .blob([1, 2, 3])],
            [7, 2.5, "text", nil],
            [nil, 1.5, "literal", .blob([])],
            [9, nil, nil, nil],
        ])
        let select = try db.prepare("SELECT i AS number, t FROM typed ORDER BY rowid LIMIT 1")
        #expect(select.columnName(0) == "number")
        #expect(try select.step())
        #expect(select.int(0) == 42)
        #expect(select.row() == [42, "text"])
    }

    @Test func forEachRowVisitsEveryRow() throws {
        for number in 1...5 {
            try db.run("INSERT INTO typed (i) VALUES (?)", [.integer(Int64(number))])
        }
        var sum: Int64 = 0
        try db.prepare("SELECT i FROM typed").forEachRow { row in sum += row.int64(0) }
        #expect(sum == 15)
        #expect(try db.query("SELECT count(*) FROM typed WHERE i > ?", [2]) == [[3]])
    }

    @Test func wrongParameterCountsAreRangeErrors() throws {
        let insert = try db.prepare("INSERT INTO typed (i, r) VALUES (?, ?)")
        let tooFew = #expect(throws: SQLiteError.self) { try insert.bind(1) }
        #expect(tooFew?.code == .range)
        let badIndex = #expect(throws: SQLiteError.self) { try insert.bind(1, at: 2) }
        #expect(badIndex?.code == .range)
        let negative = #expect(throws: SQLiteError.self) { try insert.bind("x", at: -1) }
        #expect(negative?.code == .range)
    }

    @Test func statementOutlivesItsConnection() throws {
        var connection: Connection? = try Connection(path: directory.path("zombie.sqlite"))
        try connection!.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
        let select = try connection!.prepare("SELECT x FROM t ORDER BY x")
        connection = nil  // sqlite3_close_v2 keeps the handle until the statement is finalized
        #expect(try select.allRows() == [[1], [2]])
    }
}
