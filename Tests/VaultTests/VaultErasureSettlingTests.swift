import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// `erase-patient` beside a running agent: the agent keeps the patient's key until it notices the
/// erasure (`refreshErasures`, within 5 s), and what it stores for them meanwhile is under the
/// destroyed key with real digests. Noticing scrubs them; an agent that crashes or stops before
/// noticing left them, and `audit` flagged them for good. The next agent to open the vault scrubs
/// them, from the erasure's sealed record on (the marker the erasure leaves in `meta`).
@Suite struct VaultErasureSettlingTests {
    /// The agent: the vault with the writer lock, sealing.
    private static func openAgent(_ scratch: ScratchVault) throws -> Vault {
        let vault = try Vault(path: scratch.path, keys: scratch.keys, exclusiveWriter: true)
        try vault.enableSealing(SealingConfiguration(gatewayID: "gw", policy: try BatchPolicy(maxReadings: 100, maxAgeMilliseconds: 60_000)),
                                now: 0)
        return vault
    }

    private static func markers(_ scratch: ScratchVault) throws -> [String] {
        try Connection(path: scratch.path).query("SELECT key FROM meta WHERE key LIKE 'erasure_unsettled:%'")
            .compactMap { $0[0].textValue }
    }

    private static func states(_ scratch: ScratchVault) throws -> Int64? {
        try Connection(path: scratch.path).query("SELECT count(*) FROM patient_state").first?.first?.integerValue
    }

    @Test func whatAnAgentStoredUnderAnErasedKeyBeforeItStoppedIsScrubbedAtTheNextStart() throws {
        let scratch = try ScratchVault("vault-erase-crash")
        defer { scratch.remove() }
        do {
            let agent = try Self.openAgent(scratch)
            _ = try agent.store([Sample.incoming(1), Sample.incoming(2, patient: "MRN-2")])
            let erasure = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 5)  // beside the agent
            #expect(erasure.sealedRecordID == 3)
            #expect(try Self.markers(scratch).count == 1)
            // Before the agent notices: a reading and detector state under the destroyed key.
            _ = try agent.store([Sample.incoming(3), Sample.incoming(4, patient: "MRN-2")])
            try agent.setPatientStates("detector", patients: ["MRN-1", "MRN-2"], at: 6) { _ in [1, 2, 3] }
            try agent.sealAll(now: 7)
            // ... and it stops (or crashes) before its next refreshErasures.
        }
        let before = try scratch.open().audit(gatewayID: "gw")
        #expect(before.findings.map(\.description)
                == ["readings 4: digest is not the zeros its patient's erasure left (altered, or not scrubbed)"])
        #expect(try Self.states(scratch) == 2)

        let agent = try Self.openAgent(scratch)
        let after = try agent.audit(gatewayID: "gw")
        #expect(after.passed, "\(after.findings)")
        #expect(after.readingsErased == 2)  // readings 1 and 4
        #expect(try Self.markers(scratch).isEmpty)  // settled: the next start scrubs nothing
        #expect(try Self.states(scratch) == 1)  // MRN-2's
    }

    /// The condition made directly in SQL: real digests on an erased patient's rows, and the marker
    /// an interrupted erasure leaves. The scrub reaches only rows from the erasure's record on:
    /// a digest on a row before it (which the erasure scrubbed itself) is tampering, and stays flagged.
    @Test func theScrubAtStartIsBoundedByTheErasuresRecord() throws {
        let scratch = try ScratchVault("vault-erase-bound")
        defer { scratch.remove() }
        let ref: Int64
        let record: Int64
        do {
            let agent = try Self.openAgent(scratch)
            _ = try agent.store((1...3).map { Sample.incoming($0) } + [Sample.incoming(4, patient: "MRN-2")])
            record = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 5).sealedRecordID  // 5
            _ = try agent.store([Sample.incoming(5), Sample.incoming(6)])  // 6 and 7, under the destroyed key
            #expect(try agent.refreshErasures() == ["MRN-1"])  // scrubs 6 and 7, settles the erasure
            #expect(try Self.markers(scratch).isEmpty)
            try agent.sealAll(now: 7)
            ref = try #require(try Connection(path: scratch.path)
                .query("SELECT id FROM patients WHERE erased_at IS NOT NULL").first?.first?.integerValue)
        }
        let db = try Connection(path: scratch.path)
        try db.execute("UPDATE readings SET digest = randomblob(32) WHERE id IN (2, 6, 7)")
        try db.run("INSERT INTO meta (key, value) VALUES (?, ?)", [.text("erasure_unsettled:\(ref)"), .integer(record)])
        #expect(try scratch.open().audit(gatewayID: "gw").findings.map(\.row) == [2, 6, 7])

        let agent = try Self.openAgent(scratch)
        #expect(try agent.audit(gatewayID: "gw").findings.map(\.row) == [2])
        #expect(try Self.markers(scratch).isEmpty)
    }

    /// Only an erasure made beside the agent leaves a marker, and only the agent settles one:
    /// a command that opens the vault meanwhile leaves it for the agent.
    @Test func onlyTheAgentSettlesAnErasureMadeBesideIt() throws {
        let scratch = try ScratchVault("vault-erase-marker")
        defer { scratch.remove() }
        do {
            let agent = try Self.openAgent(scratch)
            _ = try agent.store([Sample.incoming(1), Sample.incoming(2, patient: "MRN-2")])
            _ = try agent.erasePatient("MRN-2", by: "dpo", at: 3)  // by the agent itself: nothing to settle
            #expect(try Self.markers(scratch).isEmpty)
            _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 4)
        }
        _ = try scratch.open()  // e.g. `stats`: not the agent
        #expect(try Self.markers(scratch).count == 1)
        _ = try Self.openAgent(scratch)
        #expect(try Self.markers(scratch).isEmpty)
    }
}
