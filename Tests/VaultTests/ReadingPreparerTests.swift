import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// Readings prepared off the vault's thread are stored exactly like readings the vault prepares itself.
@Suite struct ReadingPreparerTests {
    let dir: URL
    let keys = GatewayKeys.generate()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vault-prep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    var dbPath: String { dir.appendingPathComponent("vault.sqlite").path }

    private func exported(_ vault: Vault) throws -> [ExportedReading] {
        var out: [ExportedReading] = []
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) { out.append($0) }
        return out
    }

    @Test func aPreparedReadingAndAnUnpreparedCopyAreOneReadingStoredOnce() throws {
        let vault = try Vault(path: dbPath, keys: keys)
        try vault.enableSealing(SealingConfiguration(gatewayID: "gw-test"), now: 0)
        let preparer = vault.makeReadingPreparer()
        var first = Sample.message(.reading(Sample.reading(seq: 1), patient: "MRN-1"))
        preparer.prepare(&first)
        #expect(first.prepared != nil)
        let copy = Sample.message(.reading(Sample.reading(seq: 1), patient: "MRN-1"))  // the vault prepares it
        #expect(try vault.store([first]).stored == 1)
        let second = try vault.store([copy])
        #expect(second.stored == 0 && second.duplicates == 1)
        // And the other way round: a prepared copy of a reading the vault prepared itself.
        #expect(try vault.store([Sample.message(.reading(Sample.reading(seq: 2), patient: "MRN-1"))]).stored == 1)
        var prepared = Sample.message(.reading(Sample.reading(seq: 2), patient: "MRN-1"))
        preparer.prepare(&prepared)
        #expect(try vault.store([prepared]).duplicates == 1)

        let rows = try exported(vault)
        #expect(rows.map(\.reading.seq) == [1, 2])
        #expect(rows.map(\.duplicates) == [1, 1])
        #expect(rows[0].reading.canonicalBytes == Sample.reading(seq: 1).canonicalBytes)
        try vault.sealAll(now: 1)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        for id in Int64(1)...2 {
            #expect(BundleVerifier.verify(try vault.proofBundle(readingID: id, gatewayID: "gw-test"), trust: trust).passed)
        }
    }

    @Test func aPreparedMessageWhoseOutcomeChangesIsPreparedAgainByTheVault() throws {
        let vault = try Vault(path: dbPath, keys: keys)
        var message = Sample.message(.reading(Sample.reading(seq: 1, spo2: 91), patient: "MRN-1"))
        vault.makeReadingPreparer().prepare(&message)
        message.outcome = .reading(Sample.reading(seq: 1, spo2: 99), patient: "MRN-1")
        #expect(message.prepared == nil)
        _ = try vault.store([message])
        let stored = try #require(try exported(vault).first)
        #expect(stored.reading.canonicalBytes == Sample.reading(seq: 1, spo2: 99).canonicalBytes)
    }

    @Test func onlyReadingsArePrepared() throws {
        let vault = try Vault(path: dbPath, keys: keys)
        var message = Sample.message(.quarantined(device: nil, kind: nil, QuarantineVerdict(.unknownDevice, "no such device")))
        vault.makeReadingPreparer().prepare(&message)
        #expect(message.prepared == nil)
    }
}
