import Foundation
import SQLite
import Telemetry
import Testing
@testable import Vault

/// A reading newer than anything stored for its device cannot be a copy, and is stored without
/// a dedupe lookup; every other reading is still looked up, whoever stored the earlier copy.
@Suite struct DedupeLookupTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("vault-dedupe") }

    private func messages(_ seqs: some Sequence<UInt32>, device: DeviceID = Sample.oxp, spo2: Double = 97) -> [IncomingMessage] {
        seqs.map { Sample.message(.reading(Sample.reading(seq: $0, spo2: spo2, device: device), patient: nil)) }
    }

    @Test func inOrderReadingsSkipTheLookupAndCopiesAreStillFound() throws {
        let vault = try scratch.open()
        #expect(try vault.store(messages(1...50)).stored == 50)
        #expect(vault.identityLookups == 0)
        // Copies and older readings (a replay, a reconnecting bridge) are looked up and caught.
        let again = try vault.store(messages([10, 50]) + messages([20], spo2: 80) + messages([60]))
        #expect(again.duplicates == 2 && again.conflicts == 1 && again.stored == 2)
        #expect(vault.identityLookups == 3)
        // Another device's marks are its own.
        let other = DeviceID("OXP-000001")!
        #expect(try vault.store(messages(1...3, device: other)).stored == 3)
        #expect(vault.identityLookups == 3)
        #expect(try vault.store(messages([2], device: other)).duplicates == 1)
        #expect(vault.identityLookups == 4)
    }

    @Test func rowsStoredBeforeOpeningOrByAnotherConnectionAreLookedUp() throws {
        do {
            let earlier = try scratch.open()
            _ = try earlier.store(messages(1...10))
        }
        let vault = try scratch.open()
        #expect(try vault.store(messages([5, 10])).duplicates == 2)
        #expect(try vault.store(messages([11])).stored == 1)
        #expect(vault.identityLookups == 2)
        // A second connection stores newer readings of the same device: the first one's next
        // store sees that rows appeared and looks its copies up.
        _ = try scratch.open().store(messages(12...14))
        let result = try vault.store(messages([13, 15]))
        #expect(result.duplicates == 1 && result.stored == 1)
        #expect(try vault.stats().readings == 15)
    }
}
