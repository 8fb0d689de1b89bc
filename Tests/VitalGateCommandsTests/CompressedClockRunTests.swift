import Foundation
import LocalBroker
import Sealing
import SQLite
import Testing
import Vault
@testable import VitalGateCommands
import VitalGateTesting

/// Issue 20 (the soak benchmark's hook): `vitalgate run --clock-speed` stamps arrivals on a
/// compressed clock, and retention judges `keep_days` on it, so that days of a gateway's life
/// play in seconds. Without the option, nothing changes (the other run tests).
@Suite struct CompressedClockRunTests {
    @Test func readingsArePrunedByAgeOnceADayHasPassedOnTheCompressedClock() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let config = workspace.path("vitalgate.conf")
        try """
            [gateway]
            id = "clock-gw"
            data_dir = "\(workspace.data)"
            [schemas]
            directory = "\(AgentBinary.schemas)"
            [retention]
            enabled = true
            keep_days = 1
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let broker = try LocalBroker()
        // 14,400 times as fast: a day in 6 s. Arrival stamps then run ahead of the real clock.
        let origin = Int64(Date().timeIntervalSince1970 * 1000)
        let (agent, bridge) = try workspace.startAgent(
            ["--config", config, "--no-detection", "--http", "off", "--clock-speed", "14400", "--clock-origin-ms", String(origin)],
            broker: broker, publishing: 0..<20)
        defer { agent.terminate(signal: SIGKILL) }
        let keys = try FileKeyStore.load(path: DataPaths(workspace.data).keyFile)
        var pruned: Int64 = 0
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            if let vault = try? Vault(path: DataPaths(workspace.data).vault, keys: keys),
               let status = try? vault.retentionStatus() {
                pruned = status.pruned
                if pruned >= 20 { break }
            }
        }
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()
        #expect(agent.exitCode == 0)
        #expect(pruned == 20, "every reading pruned by age within seconds: a compressed day passed")
        let db = try Connection(path: DataPaths(workspace.data).vault, readOnly: true)
        var stamp = try db.query("SELECT min(received_at) FROM readings WHERE kind != 'event'").first?[0].integerValue
        if stamp == nil, let header = try db.query("SELECT header FROM batches ORDER BY seq LIMIT 1").first?[0].blobValue {
            // Compacted too (an hour is a quarter of a second here): the first batch's header holds the stamp.
            stamp = try BatchHeader(encoded: header).firstReceivedAt
        }
        let first = try #require(stamp)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(first > origin, "stamped on the compressed clock, after its origin")
        #expect(first > now + 60 * 60_000, "the half second before the readings arrived is two hours compressed")
    }
}
