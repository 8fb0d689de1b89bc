import Foundation
@testable import Ingest
import Testing
import VitalGateTesting

/// The guard's record across simulated deaths: a guard dropped without `stoppedCleanly()` is
/// a process that died (the mapped page is what the kernel keeps).
@Suite struct PoisonGuardTests {
    static let topic = "wban/v1/OXP-7F31A2/vitals"
    static let fatal = Array(#"{"seq":1,"ts":1763884800000,"spo2":97}"#.utf8)
    static let other = Array(#"{"seq":2,"ts":1763884801000,"spo2":97}"#.utf8)

    static func print(_ payload: [UInt8]) -> PoisonGuard.Fingerprint { .init(topic: topic, payload: payload) }

    /// Starts a run, decodes `decoded` fully, then dies while decoding `dying` (or stops cleanly).
    static func run(_ path: String, decoded: [[UInt8]] = [], dying: [UInt8]?) throws -> PoisonGuard {
        let guardFile = try PoisonGuard(path: path)
        for payload in decoded {
            guardFile.willDecode(print(payload), topic: topic)
            guardFile.didDecode()
        }
        if let dying { guardFile.willDecode(print(dying), topic: topic) } else { guardFile.stoppedCleanly() }
        return guardFile
    }

    @Test func aFirstDeathMakesASuspectAndASecondMakesPoison() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("vault.sqlite.decoding").path
        let first = try PoisonGuard(path: path)
        #expect(first.lastRunStoppedCleanly && first.lastDeath == nil)
        first.willDecode(Self.print(Self.fatal), topic: Self.topic)  // dies here

        let second = try Self.run(path, decoded: [Self.other], dying: Self.fatal)
        #expect(!second.lastRunStoppedCleanly)
        #expect(second.lastDeath == .init(fingerprint: Self.print(Self.fatal), topic: Self.topic, deaths: 1))
        #expect(!second.isPoison(Self.print(Self.fatal)), "one death may be a kill that landed there")

        let third = try Self.run(path, dying: nil)
        #expect(third.lastDeath?.deaths == 2)
        #expect(third.isPoison(Self.print(Self.fatal)))
        #expect(!third.isPoison(Self.print(Self.other)))
        #expect(!third.isPoison(.init(topic: "wban/v1/OXP-000000/vitals", payload: Self.fatal)))

        let fourth = try PoisonGuard(path: path)
        #expect(fourth.lastRunStoppedCleanly && fourth.lastDeath == nil)
    }

    @Test func deathsOnDifferentMessagesDoNotAddUp() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("guard").path
        _ = try Self.run(path, dying: Self.fatal)
        _ = try Self.run(path, dying: Self.other)
        let next = try PoisonGuard(path: path)
        #expect(next.lastDeath?.fingerprint == Self.print(Self.other))
        #expect(next.lastDeath?.deaths == 1)
        #expect(!next.isPoison(Self.print(Self.other)) && !next.isPoison(Self.print(Self.fatal)))
    }

    @Test func aDeathBetweenMessagesBlamesNone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("guard").path
        _ = try Self.run(path, decoded: [Self.fatal, Self.other], dying: nil)
        let died = try PoisonGuard(path: path)  // decodes nothing, then is killed
        _ = died
        let next = try PoisonGuard(path: path)
        #expect(!next.lastRunStoppedCleanly)
        #expect(next.lastDeath == nil)
    }

    @Test func aDamagedFileIsStartedAfresh() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("guard").path
        try Data(repeating: 0xFF, count: PoisonGuard.fileSize).write(to: URL(fileURLWithPath: path))
        let damaged = try PoisonGuard(path: path)
        #expect(damaged.lastDeath == nil)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let short = try PoisonGuard(path: path)
        #expect(short.lastDeath == nil && short.lastRunStoppedCleanly)
    }

    @Test func anUnusableDirectoryIsATypedError() {
        #expect(throws: PoisonGuardError.self) { try PoisonGuard(path: "/nonexistent-dir/guard") }
    }

    @Test func fingerprintsTellTopicPayloadAndLengthApart() {
        let a = PoisonGuard.Fingerprint(topic: "t/a", payload: Array("12345678x".utf8))
        #expect(a == PoisonGuard.Fingerprint(topic: "t/a", payload: Array("12345678x".utf8)))
        #expect(a != PoisonGuard.Fingerprint(topic: "t/b", payload: Array("12345678x".utf8)))
        #expect(a != PoisonGuard.Fingerprint(topic: "t/a", payload: Array("12345678y".utf8)))
        #expect(a != PoisonGuard.Fingerprint(topic: "t/a", payload: Array("12345678x\0".utf8)))
        #expect(PoisonGuard.Fingerprint(topic: "", payload: []).length == 0)
    }
}
