import SQLite
import Testing

/// Issue 18, item 8: a statement's two binding modes, and what each leaves bound.
@Suite struct StatementBindingTests {
    func table() throws -> Connection {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (a TEXT, b BLOB, c INTEGER)")
        return db
    }

    func rows(_ db: Connection) throws -> [[SQLiteValue]] {
        try db.query("SELECT a, b, c FROM t ORDER BY rowid")
    }

    @Test func valuesBoundWithBindAreCopiedAndKeptAcrossRuns() throws {
        let db = try table()
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?)")
        #expect(insert.bindings == .cleared)
        var text = "kept"
        try insert.bind(.text(text), .blob([1, 2]), .integer(3))
        text = "changed"  // SQLite holds its own copy
        #expect(insert.bindings == .copied)
        try insert.run()
        try insert.run()
        #expect(insert.bindings == .copied)
        #expect(try rows(db) == Array(repeating: [.text("kept"), .blob([1, 2]), .integer(3)], count: 2))
        #expect(text == "changed")
    }

    @Test func valuesGivenToRunAreBoundForThatRunOnlyAndLeaveEveryParameterNull() throws {
        let db = try table()
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?)")
        try insert.bind(.text("earlier"), .blob([9]), .integer(9))
        try insert.run(.text("once"), .blob([4, 5, 6]), .integer(7))
        #expect(insert.bindings == .cleared)
        try insert.run()  // the current bindings: all NULL now, not the earlier ones
        #expect(try rows(db) == [[.text("once"), .blob([4, 5, 6]), .integer(7)], [.null, .null, .null]])
    }

    @Test func aFailedRunAlsoLeavesNoBorrowedParameter() throws {
        let db = try table()
        try db.execute("CREATE UNIQUE INDEX one_a ON t (a)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?)")
        try insert.run(.text("x"), .blob([1]), .integer(1))
        #expect(throws: SQLiteError.self) { try insert.run(.text("x"), .blob([2]), .integer(2)) }
        #expect(insert.bindings == .cleared)
        // Empty text and blob are values, not NULL, in both modes.
        try insert.run(.text(""), .blob([]), .null)
        try insert.bind(.text("y"), .blob([]), .null)
        try insert.run()
        #expect(try rows(db).dropFirst() == [[.text(""), .blob([]), .null], [.text("y"), .blob([]), .null]])
    }
}
