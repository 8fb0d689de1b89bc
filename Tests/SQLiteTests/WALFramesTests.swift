import Foundation
import SQLite
import Testing

/// The VFS shim that writes each WAL frame (header and page) in one system call: the log it
/// writes must be the one SQLite would have written.
@Suite("WAL frames")
struct WALFramesTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// Frames are combined, and a copy of the database and its log, opened elsewhere, recovers
    /// every committed row from the log (SQLite checks each frame's checksum chain on recovery).
    @Test func framesAreWrittenWholeAndRecoverFromACopyOfTheLog() throws {
        let writer = try Connection(path: directory.path("w.sqlite"))
        try writer.journalModeWAL()
        try writer.execute("PRAGMA wal_autocheckpoint = 0")  // everything stays in the log
        try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        let before = Connection.combinedWALFrameWrites
        for batch in 0..<20 {
            try writer.transaction(.immediate) {
                for row in 0..<100 {
                    let id = batch * 100 + row
                    try writer.run("INSERT INTO t (id, body) VALUES (?, ?)",
                                   [.integer(Int64(id)), .blob((0..<900).map { UInt8(truncatingIfNeeded: $0 &* id) })])
                }
            }
        }
        let walBytes = try #require(try FileManager.default.attributesOfItem(atPath: directory.path("w.sqlite-wal"))[.size] as? Int)
        let frames = (walBytes - 32) / (24 + 4096)
        #expect(frames > 400)
        // Nearly every frame went out in one write (a header that SQLite splits around a sync
        // point goes out in pieces, as it would without the shim). Other tests may write frames
        // at the same time, so only a lower bound holds.
        #expect(Connection.combinedWALFrameWrites - before >= UInt64(frames * 9 / 10))

        // Another connection reads the rows through the live log.
        #expect(try Connection(path: directory.path("w.sqlite")).query("SELECT count(*), sum(length(body)) FROM t")
                == [[.integer(2_000), .integer(1_800_000)]])

        // A copy of the database file and its log, without the shared-memory index, must be
        // rebuilt from the log alone.
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: directory.path("w.sqlite" + suffix),
                                             toPath: directory.path("copy.sqlite" + suffix))
        }
        let copy = try Connection(path: directory.path("copy.sqlite"))
        #expect(try copy.query("PRAGMA integrity_check") == [[.text("ok")]])
        #expect(try copy.query("SELECT count(*) FROM t") == [[.integer(2_000)]])
        let last = try copy.query("SELECT body FROM t WHERE id = 1999").first?.first?.blobValue
        #expect(last == (0..<900).map { UInt8(truncatingIfNeeded: $0 &* 1999) })
    }
}
