import Foundation
import Testing
import Vault

/// Issue 22, item 4: the HTTP endpoints' read-only view of the vault matches `stats`.
@Suite struct VaultMonitorTests {
    @Test func theMonitorSeesTheSinksBacklogsAndAnchoringAsStatsDoes() throws {
        let scratch = try ScratchVault("vault-monitor")
        defer { try? FileManager.default.removeItem(at: scratch.directory) }
        let vault = try scratch.openSealing(batchesOf: 4)
        try Sample.store(vault, seqs: 1...10)
        try vault.registerSink("fhir", selection: .all)
        try vault.registerSink("alerts", selection: .alerts)
        try vault.advanceSinkCursor("fhir", to: 4, delivered: 4, deadLetters: [], at: 1_763_884_900_000)
        let monitor = try VaultMonitor(path: scratch.path)
        let (sinks, lag) = try monitor.deliveryAndAnchoring()
        let stats = try vault.stats()
        #expect(sinks == stats.egress)
        #expect(lag == stats.anchoring)
        let fhir = try #require(sinks.first { $0.cursor.sink == "fhir" })
        #expect(fhir.backlog == 6 && fhir.cursor.lastSuccessAt == 1_763_884_900_000)
        #expect(sinks.first { $0.cursor.sink == "alerts" }?.backlog == 0)
        #expect(lag.latestCheckpoint > 0)
    }

    @Test func aMissingVaultIsATypedError() {
        #expect(throws: VaultError.self) { try VaultMonitor(path: "/nonexistent/vault.sqlite") }
    }
}
