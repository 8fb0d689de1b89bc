import Foundation
import Testing
import Vault

/// The WAL checkpointer (issue 20, the budget's own writes): a passive checkpoint never makes the
/// WAL file smaller; past `truncateAboveBytes` the checkpointer truncates it.
@Suite struct WALCheckpointerTests {
    private func walBytes(_ scratch: ScratchVault) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: scratch.path + "-wal"))?[.size] as? Int) ?? 0
    }

    /// Polls `condition` every 20 ms for up to `seconds`.
    private func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test func aWALPastTheLimitIsTruncatedAndOnlyThen() throws {
        let scratch = try ScratchVault("wal")
        defer { scratch.remove() }
        let vault = try scratch.open()
        try Sample.store(vault, seqs: 1...3000)
        let limit = 256 << 10
        let grown = walBytes(scratch)
        #expect(grown > limit, "the WAL holds \(grown) bytes")

        let passive = WALCheckpointer(path: scratch.path, intervalMs: 20, truncateAboveBytes: .max)
        #expect(!eventually(0.5) { walBytes(scratch) <= limit })  // checkpointed, not smaller
        passive.stop()

        let truncating = WALCheckpointer(path: scratch.path, intervalMs: 20, truncateAboveBytes: Int64(limit))
        defer { truncating.stop() }
        #expect(eventually(5) { walBytes(scratch) <= limit }, "the WAL still holds \(walBytes(scratch)) bytes")
        #expect(try vault.audit(gatewayID: "gw").passed)
    }
}
