@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Telemetry
import Testing

/// One py-evm peer with a consent registry deployed by `authority`.
struct RegistryFixture: Sendable {
    let peer: EVMPeer
    let registry: EthereumAddress
    let authority: PrivateKey
    let deployGasUsed: UInt64

    static func start() throws -> RegistryFixture {
        let peer = try EVMPeer()
        let authority = PrivateKey()
        try peer.fund(authority.publicKey.ethereumAddress)
        let registry = try ConsentRegistry.deploy(rpc: peer.rpc, key: authority, chainID: peer.chainID)
        let creation = try peer.call("eth_getTransactionByHash", [.string(Hex.encode(try lastTransaction(peer), prefix: true))])
        let receipt = try peer.call("eth_getTransactionReceipt", [creation["hash"] ?? .null])
        return RegistryFixture(peer: peer, registry: registry, authority: authority,
                               deployGasUsed: try NodeValues.uint64(receipt["gasUsed"], "gasUsed"))
    }

    /// The hash of the only transaction of the head block.
    static func lastTransaction(_ peer: EVMPeer) throws -> [UInt8] {
        let block = try peer.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        return try NodeValues.fixedData(block["transactions"]?.arrayValue?.last, "transaction", count: 32)
    }

    /// Sends a write from `key` (the authority unless given) and returns its receipt (automine).
    @discardableResult
    func write(_ data: [UInt8], from key: PrivateKey? = nil, value: UInt64 = 0) throws -> (status: Bool, gasUsed: UInt64, logs: JSONValue) {
        let key = key ?? authority
        let node = EthereumNode(rpc: peer.rpc)
        let fees = try EVMLedgerBackend.currentFees(node: node, policy: .init())
        let transaction = EIP1559Transaction(
            chainId: peer.chainID, nonce: try node.transactionCount(key.publicKey.ethereumAddress, "pending"),
            maxPriorityFeePerGas: Quantity(fees.priority), maxFeePerGas: Quantity(fees.maxFee), gasLimit: 200_000,
            to: registry, value: Quantity(value), data: data)
        let signed = try transaction.sign(with: key)
        _ = try node.sendRawTransaction(signed.rawBytes)
        let receipt = try peer.call("eth_getTransactionReceipt", [.string(Hex.encode(signed.hash, prefix: true))])
        return (try NodeValues.uint64(receipt["status"], "status") == 1, try NodeValues.uint64(receipt["gasUsed"], "gasUsed"),
                receipt["logs"] ?? .null)
    }

    func record(_ pseudonym: [UInt8], _ grantee: [UInt8], _ purpose: String, _ terms: ConsentRegistry.Terms,
                from key: PrivateKey? = nil) throws -> (status: Bool, gasUsed: UInt64, logs: JSONValue) {
        try write(ConsentRegistry.calldata(pseudonym: pseudonym, grantee: grantee,
                                           purpose: try #require(ConsentRegistry.purposeWord(purpose)), terms: terms),
                  from: key)
    }

    /// A reader trusting the head block by its pinned hash.
    func reader(pinning hash: [UInt8]? = nil, authority: EthereumAddress? = nil, registry: EthereumAddress? = nil,
                maximumAgeSeconds: UInt64? = 300, maximumAgeBlocks: UInt64? = 64,
                clock: @escaping @Sendable () -> Int64 = EVMLedgerBackend.systemClock) throws -> ConsentRegistryReader {
        let pinned = try hash ?? peer.blockHash(peer.blockNumber())
        return ConsentRegistryReader(
            rpc: peer.rpc, headers: PinnedHeaderSource(rpc: peer.rpc, blockHash: pinned),
            policy: .init(registry: registry ?? self.registry, authority: authority ?? self.authority.publicKey.ethereumAddress,
                          maximumAgeSeconds: maximumAgeSeconds, maximumAgeBlocks: maximumAgeBlocks),
            clock: clock)
    }
}

func word(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }

/// The registry on the py-evm peer, read only through verified EIP-1186 proofs.
@Suite(.serialized) struct ConsentRegistryPeerTests {
    let fixture: RegistryFixture
    let treat = ConsentRegistry.purposeWord("TREAT")!

    init() throws {
        fixture = try RegistryFixture.start()
    }

    @Test func grantRevokeAndAbsentAreReadThroughVerifiedProofs() async throws {
        let patient = word(0xA1), grantee = word(0xB2)
        let classes: ConsentRegistry.DataClass = [.vitals, .alerts]
        let grant = try fixture.record(patient, grantee, "TREAT",
                                       .init(status: .granted, classes: classes.rawValue, notBefore: 1_700_000_000,
                                             notAfter: 1_900_000_000))
        #expect(grant.status)
        let grantedAt = try fixture.peer.blockHash(fixture.peer.blockNumber())
        let granted = try await fixture.reader().read(pseudonym: patient, grantee: grantee, purpose: treat)
        #expect(granted.decision == .granted && granted.version == 1 && granted.pairVersion == 1)
        #expect(granted.classes == classes && granted.notBefore == 1_700_000_000 && granted.notAfter == 1_900_000_000)
        #expect(granted.permits(.vitals, at: 1_800_000_000) && !granted.permits(.waveform, at: 1_800_000_000))
        #expect(!granted.permits(.vitals, at: 1_950_000_000))

        let revoke = try fixture.record(patient, grantee, "TREAT", .init(status: .revoked, classes: 0))
        #expect(revoke.status)
        let revoked = try await fixture.reader().read(pseudonym: patient, grantee: grantee, purpose: treat)
        #expect(revoked.decision == .revoked && revoked.version == 2 && revoked.pairVersion == 2)
        #expect(!revoked.permits(.vitals, at: 1_800_000_000))
        // The block pinned before the revocation still proves the grant: reads are as of the trusted block.
        let before = try await fixture.reader(pinning: grantedAt).read(pseudonym: patient, grantee: grantee, purpose: treat)
        #expect(before.decision == .granted && before.blockNumber == revoked.blockNumber - 1)

        // Another purpose of the same pair, and a pair never written: proven absent.
        let research = try await fixture.reader().read(pseudonym: patient, grantee: grantee,
                                                       purpose: ConsentRegistry.purposeWord("HRESCH")!)
        #expect(research.decision == .absent && research.version == 0 && research.pairVersion == 2)
        let stranger = try await fixture.reader().read(pseudonym: word(0xC3), grantee: grantee, purpose: treat)
        #expect(stranger.decision == .absent && stranger.pairVersion == 0)
        #expect(!stranger.permits([], at: 0))
    }

    @Test func eachWriteEmitsTheAuditEvent() throws {
        let patient = word(0x11), grantee = word(0x22)
        let terms = ConsentRegistry.Terms(status: .granted, classes: 0b1111, notBefore: 5, notAfter: 6, version: 99)
        let receipt = try fixture.record(patient, grantee, "ETREAT", terms)
        let logs = try #require(receipt.logs.arrayValue)
        #expect(logs.count == 1)
        let topics = try #require(logs[0]["topics"]?.arrayValue).map { try NodeValues.fixedData($0, "topic", count: 32) }
        #expect(topics == [ConsentRegistry.eventTopic, patient, grantee, ConsentRegistry.purposeWord("ETREAT")!])
        // The record as stored: the contract replaced the caller's version (99) by the pair's (1).
        var stored = terms
        stored.version = 1
        #expect(try NodeValues.data(logs[0]["data"], "data") == stored.word)
        #expect(try NodeValues.fixedData(logs[0]["address"], "address", count: 20) == fixture.registry.bytes)
        #expect(ConsentRegistry.eventTopic == hex("793947e1576c008ffcef53927b42f014dd607d054dbbf2f4236a999fbdfe6824"))
    }

    @Test func onlyTheAuthorityWritesAndOnlyWellFormedRecords() async throws {
        let patient = word(0x31), grantee = word(0x32)
        let intruder = PrivateKey()
        try fixture.peer.fund(intruder.publicKey.ethereumAddress)
        let grant = ConsentRegistry.Terms(status: .granted, classes: 1)
        #expect(try fixture.record(patient, grantee, "TREAT", grant, from: intruder).status == false)
        let good = ConsentRegistry.calldata(pseudonym: patient, grantee: grantee, purpose: treat, terms: grant)
        #expect(try fixture.write(Array(good.dropLast())).status == false)  // 127 bytes
        #expect(try fixture.write(good + [0]).status == false)  // 129 bytes
        #expect(try fixture.write(good, value: 1).status == false)
        for status: UInt8 in [0, 3, 0xFF] {
            var data = good
            data[127] = status
            #expect(try fixture.write(data).status == false)
        }
        // Nothing was recorded by any of them.
        let state = try await fixture.reader().read(pseudonym: patient, grantee: grantee, purpose: treat)
        #expect(state.decision == .absent && state.pairVersion == 0)
        // The authority's own write succeeds.
        #expect(try fixture.record(patient, grantee, "TREAT", grant).status)
        #expect(try await fixture.reader().read(pseudonym: patient, grantee: grantee, purpose: treat).decision == .granted)
    }

    @Test func versionsCountEveryWriteOfThePair() async throws {
        let patient = word(0x41), grantee = word(0x42)
        var gas: [UInt64] = []
        for (index, purpose) in ["TREAT", "HRESCH", "TREAT", "ETREAT"].enumerated() {
            let status: ConsentRegistry.Terms.Status = index == 2 ? .revoked : .granted
            gas.append(try fixture.record(patient, grantee, purpose, .init(status: status, classes: 1)).gasUsed)
        }
        let reader = try fixture.reader()
        let treatState = try await reader.read(pseudonym: patient, grantee: grantee, purpose: treat)
        #expect(treatState.decision == .revoked && treatState.version == 3 && treatState.pairVersion == 4)
        let research = try await reader.read(pseudonym: patient, grantee: grantee, purpose: ConsentRegistry.purposeWord("HRESCH")!)
        #expect(research.decision == .granted && research.version == 2 && research.pairVersion == 4)
        // First write of a pair (two fresh slots) costs more than a rewrite of both.
        #expect(gas[0] > gas[2])
        print("consent registry gas: deploy \(fixture.deployGasUsed), first grant \(gas[0]), new purpose \(gas[1]), "
              + "rewrite \(gas[2])")
    }

    @Test(arguments: [("account-proof", "account-proof"), ("storage-proof", "storage-proof"),
                      ("storage-value", "storage-value"), ("state-root", "state-root"), ("header", "trusted-header")])
    func aLyingNodeIsRefusedAtTheNamedStep(mode: String, step: String) async throws {
        let patient = word(0x51), grantee = word(0x52)
        #expect(try fixture.record(patient, grantee, "TREAT", .init(status: .revoked, classes: 1)).status)
        let reader = try fixture.reader()
        #expect(try await reader.read(pseudonym: patient, grantee: grantee, purpose: treat).decision == .revoked)
        try fixture.peer.lie(mode)
        defer { try? fixture.peer.lie("none") }
        await expectRefusal(step: step) { try await reader.read(pseudonym: patient, grantee: grantee, purpose: treat) }
    }

    @Test func aStaleTrustedBlockIsRefused() async throws {
        let patient = word(0x61), grantee = word(0x62)
        #expect(try fixture.record(patient, grantee, "TREAT", .init(status: .granted, classes: 1)).status)
        let pinned = try fixture.peer.blockHash(fixture.peer.blockNumber())
        try fixture.peer.mine(3)
        // Three blocks behind the head, with a limit of two.
        let byBlocks = try fixture.reader(pinning: pinned, maximumAgeBlocks: 2)
        await expectRefusal(step: "stale") { try await byBlocks.read(pseudonym: patient, grantee: grantee, purpose: treat) }
        #expect(try await fixture.reader(pinning: pinned, maximumAgeBlocks: 3)
            .read(pseudonym: patient, grantee: grantee, purpose: treat).decision == .granted)
        // Ten minutes later by the gateway's clock, with a limit of five.
        let later: @Sendable () -> Int64 = { EVMLedgerBackend.systemClock() + 600_000 }
        let bySeconds = try fixture.reader(pinning: pinned, maximumAgeSeconds: 300, clock: later)
        await expectRefusal(step: "stale") { try await bySeconds.read(pseudonym: patient, grantee: grantee, purpose: treat) }
    }

    @Test func aWrongRegistryOrAuthorityIsAConfigurationError() async throws {
        let other = PrivateKey().publicKey.ethereumAddress
        let error = await #expect(throws: LedgerError.self) {
            try await fixture.reader(authority: other).read(pseudonym: word(1), grantee: word(2), purpose: treat)
        }
        #expect(error?.code == .invalidConfiguration && error?.step == "authority")
        // An address with no account, and one with an account but no registry code (the authority).
        for address in [other, fixture.authority.publicKey.ethereumAddress] {
            let error = await #expect(throws: LedgerError.self) {
                try await fixture.reader(registry: address).read(pseudonym: word(1), grantee: word(2), purpose: treat)
            }
            #expect(error?.code == .invalidConfiguration && error?.step == "registry")
        }
        // An unknown pinned hash is not trusted.
        await expectRefusal(step: "trusted-header") {
            try await fixture.reader(pinning: word(0xEE)).read(pseudonym: word(1), grantee: word(2), purpose: treat)
        }
    }
}

func expectRefusal(step: String, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> ConsentRegistryState) async {
    do {
        let state = try await body()
        Issue.record("expected a refusal at \(step), read \(state.decision)", sourceLocation: sourceLocation)
    } catch let error as LedgerError {
        #expect(error.code == .untrustworthyNode, "\(error)", sourceLocation: sourceLocation)
        #expect(error.step == step, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}
