import Consent
@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Synchronization
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// The agent side of the registry on the py-evm peer: ``ConsentRegistrySync`` reads through the
/// agent's finality rule (a witness that agrees: the same peer under another URL, as in
/// `PeerFinalityTrustTests`) into a ``ConsentBook``, for the patients of a real vault.
@Suite(.serialized) struct ConsentRegistrySyncPeerTests {
    let fixture: RegistryFixture
    let directory: TemporaryDirectory
    let vault: Vault
    let keys = GatewayKeys.generate()
    let book = ConsentBook(policy: .treatmentOnly(by: ["hospital-a"]))
    let registryKey = [UInt8](repeating: 0x5A, count: 32)
    /// Seconds added to the wall clock (staleness without waiting).
    let clockOffset = ClockOffset()
    static let mrn = "MRN-SYNC-1"
    static let grantee = "hospital-b"

    init() throws {
        fixture = try RegistryFixture.start()
        directory = try TemporaryDirectory()
        vault = try Vault(path: directory.appending("vault.sqlite").path, keys: keys)
        let reading = Reading(device: DeviceID("oxi-sync")!, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch",
                              firmware: "1.0", seq: 1, deviceTime: 1_700_000_000_000, receivedAt: 1,
                              measurements: [Measurement(channel: "spo2", value: .number(97), unit: "%")])
        _ = try vault.store([IncomingMessage(topic: "t", payload: [], receivedAt: 1,
                                             outcome: .reading(reading, patient: Self.mrn))])
    }

    /// A sync over the peer, trusting headers one block below the head that a witness agrees on.
    func sync(stalenessSeconds: UInt64 = 300, headerFetches: FetchCounter? = nil) throws -> ConsentRegistrySync {
        let peer = fixture.peer
        let alias = HTTPEndpoint(host: "localhost", port: peer.endpoint.port)
        let gate = try FinalityGate(rpc: peer.rpc, chainID: peer.chainID, policy: .confirmations(1),
                                    trust: .init(witnesses: [.init(endpoint: alias, transport: peer.transport())]))
        let clock: @Sendable () -> Int64 = { [clockOffset] in
            EVMLedgerBackend.systemClock() + clockOffset.seconds.load(ordering: .relaxed) * 1000
        }
        let reader = ConsentRegistryReader(
            rpc: peer.rpc, headers: CountingHeaderSource(base: try FinalityGateHeaderSource(gate: gate), fetches: headerFetches),
            policy: .init(registry: fixture.registry, authority: fixture.authority.publicKey.ethereumAddress,
                          maximumAgeSeconds: stalenessSeconds, maximumAgeBlocks: 64),
            clock: clock)
        let patients = VaultPatientList(path: vault.path, keys: keys)
        return ConsentRegistrySync(
            configuration: .init(grantees: [Self.grantee], purposes: [.treatment, .research], pseudonymKey: registryKey,
                                 pollMs: 100, maximumStalenessSeconds: stalenessSeconds),
            reader: reader, book: book, patients: { try patients.identifiers() }, clock: clock)
    }

    /// The authority's write for the test patient, then one block so the write is below the trusted head.
    func record(_ purpose: String, _ status: ConsentRegistry.Terms.Status, classes: ConsentRegistry.DataClass = [.vitals, .alerts])
        throws {
        let pseudonym = ConsentRegistry.pseudonym(mrn: Self.mrn, key: registryKey)
        let granteeWord = try #require(ConsentRegistry.granteeWord(Self.grantee))
        #expect(try fixture.record(pseudonym, granteeWord, purpose, .init(status: status, classes: classes.rawValue)).status)
        try fixture.peer.mine(1)
    }

    func permits(_ purpose: PurposeOfUse = .treatment, _ classes: DataClasses = .vitals) -> Bool {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return book.decide(DisclosureRequest(patient: Self.mrn, recipient: Self.grantee, purpose: purpose, classes: classes,
                                             dataTime: now, disclosedAt: now)).permitted == classes
    }

    @Test func aGrantOnChainPermitsWithinOnePollAndARevocationDenies() throws {
        let sync = try sync()
        // The trusted block is one below the head: at the deployment's block no registry exists yet.
        #expect(!sync.poll() && sync.status.lastFailureStep == "registry", "\(sync.status)")
        try fixture.peer.mine(1)
        #expect(sync.poll())
        #expect(!permits(), "nothing on chain: the default policy denies hospital-b")
        #expect(book.records(patient: Self.mrn).isEmpty)

        try record("TREAT", .granted)
        #expect(sync.poll())
        #expect(permits() && permits(.treatment, [.vitals, .alerts]))
        #expect(!permits(.treatment, .identity), "a class the grant does not name")
        #expect(!permits(.research), "HRESCH was never granted")
        let granted = try #require(book.records(patient: Self.mrn).first)
        #expect(granted.id == "registry:hospital-b" && granted.version == 1)
        guard case .registry(let block) = granted.source else { Issue.record("\(granted.source)"); return }
        #expect(block == (try fixture.peer.blockNumber()) - 1)

        try record("HRESCH", .granted, classes: .vitals)
        try record("TREAT", .revoked, classes: [])
        #expect(sync.poll())
        #expect(!permits(), "revoked")
        #expect(permits(.research), "the other purpose of the pair, combined into the same record")
        #expect(book.records(patient: Self.mrn).map(\.version) == [3])
        #expect((sync.status.reads["ok"] ?? 0) >= 6 && sync.status.lastFailureStep == nil)
        #expect(sync.status.lastVerifiedBlock == (try fixture.peer.blockNumber()) - 1)
    }

    @Test(arguments: ["storage-value", "account-proof", "state-root"])
    func aLyingNodeIsRefusedTheBookKeepsTheVerifiedStateThenFailsClosed(mode: String) throws {
        let sync = try sync(stalenessSeconds: 300)
        try record("TREAT", .granted)
        #expect(sync.poll() && permits())

        try fixture.peer.lie(mode)
        defer { try? fixture.peer.lie("none") }
        #expect(!sync.poll())
        #expect(sync.status.reads[mode] == 1 && sync.status.lastFailureStep == mode, "\(sync.status)")
        #expect(permits(), "the last verified state stands until the maximum staleness")

        // Ten minutes on: the verified read is too old; the record stops speaking.
        clockOffset.seconds.store(600, ordering: .relaxed)
        #expect(!sync.poll())
        #expect(sync.status.lastFailureStep == "stale" && sync.status.failedClosed == 1, "\(sync.status)")
        #expect(!permits(), "failed closed: the default policy denies hospital-b")
        #expect(book.records(patient: Self.mrn).isEmpty)

        // The node tells the truth again and the clock is back: the next verified read speaks again.
        try fixture.peer.lie("none")
        clockOffset.seconds.store(0, ordering: .relaxed)
        #expect(sync.poll() && permits())
    }

    /// A poll takes one trusted header, whatever the number of reads (here 3 patients x 2 purposes).
    @Test func aPollTakesOneTrustedHeaderForAllItsReads() throws {
        for (seq, mrn) in ["MRN-SYNC-2", "MRN-SYNC-3"].enumerated() {
            let reading = Reading(device: DeviceID("oxi-sync-\(seq)")!, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch",
                                  firmware: "1.0", seq: 1, deviceTime: 1_700_000_000_000, receivedAt: 1,
                                  measurements: [Measurement(channel: "spo2", value: .number(97), unit: "%")])
            _ = try vault.store([IncomingMessage(topic: "t", payload: [], receivedAt: 1, outcome: .reading(reading, patient: mrn))])
        }
        let fetches = FetchCounter()
        let sync = try sync(headerFetches: fetches)
        try record("TREAT", .granted)
        #expect(sync.poll())
        #expect(fetches.count.load(ordering: .relaxed) == 1 && sync.status.reads["ok"] == 6, "\(sync.status)")
        #expect(sync.poll())
        #expect(fetches.count.load(ordering: .relaxed) == 2 && sync.status.reads["ok"] == 12, "\(sync.status)")
    }

    @Test func theWorkerThreadAppliesAGrantWithinAPoll() throws {
        let sync = try sync()
        sync.start()
        defer { sync.stop() }
        try record("TREAT", .granted)
        let deadline = Date().addingTimeInterval(20)
        while !permits() && Date() < deadline { usleep(50_000) }
        #expect(permits())
    }
}

/// Seconds the tests add to the wall clock.
final class ClockOffset: Sendable {
    let seconds = Atomic<Int64>(0)
}

/// Counts the trusted headers a reader asks for (when given a counter).
struct CountingHeaderSource: TrustedHeaderSource {
    let base: any TrustedHeaderSource
    let fetches: FetchCounter?

    func finalHeader() async throws(LedgerError) -> BlockHeader {
        fetches?.count.add(1, ordering: .relaxed)
        return try await base.finalHeader()
    }
}

final class FetchCounter: Sendable {
    let count = Atomic<Int>(0)
}
