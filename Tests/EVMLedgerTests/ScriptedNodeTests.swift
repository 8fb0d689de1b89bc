@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Telemetry
import Testing

/// A JSON-RPC node made of a closure, on ``TestHTTPServer``: for the paths the py-evm peer
/// cannot produce (a QBFT chain, a receipt in a block that was replaced, odd node answers).
final class ScriptedNode: Sendable {
    enum Answer: Sendable {
        case result(JSONValue)
        case error(Int, String)
    }

    let server: TestHTTPServer

    init(_ answer: @escaping @Sendable (_ method: String, _ params: [JSONValue]) -> Answer) throws {
        server = try TestHTTPServer { _, body in
            guard let request = try? JSONParser().parse(body), let method = request["method"]?.stringValue else {
                return .close
            }
            let id = request["id"] ?? .null
            let reply: JSONValue = switch answer(method, request["params"]?.arrayValue ?? []) {
            case .result(let value): .object([("jsonrpc", .string("2.0")), ("id", id), ("result", value)])
            case .error(let code, let message):
                .object([("jsonrpc", .string("2.0")), ("id", id),
                         ("error", .object([("code", .number(Double(code))), ("message", .string(message))]))])
            }
            return .respond(TestHTTPServer.response(JSONWriter.canonicalString(reply)))
        }
    }

    deinit { server.stop() }

    var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: server.port) }
}

/// A synthetic chain served by a ``ScriptedNode`` to a backend.
struct ScriptedChain {
    var chain: SyntheticChain
    var header: BlockHeader
    var descendants: [BlockHeader]
    var receipts: [Receipt]
    var transactionHash = [UInt8](repeating: 0x77, count: 32)

    init(qbftValidators: [PrivateKey]? = nil, sealers: [PrivateKey] = [], descendants: Int = 3,
         receipts: [Receipt]? = nil) throws {
        chain = SyntheticChain(request: try sampleRequest(gateway: "gw-scripted"))
        chain.descendantCount = descendants
        chain.qbftKeys = qbftValidators
        chain.qbftSealers = sealers
        self.receipts = receipts ?? chain.receipts()
        let built = try chain.build(receipts: self.receipts)
        header = built.header
        self.descendants = built.descendants
    }

    var blockHash: [UInt8] { (try? chain.hashing.hash(header)) ?? [] }

    /// Answers for a node whose canonical chain is `canonical` (by number) and which also knows
    /// `extra` headers by hash.
    func node(canonical: [BlockHeader]? = nil, extra: [BlockHeader] = [], transactionIndex: UInt64? = nil,
              chainID: String = "0x539", send: ScriptedNode.Answer? = nil) throws -> ScriptedNode {
        let canonical = canonical ?? ([header] + descendants)
        let hashing = chain.hashing
        let byNumber = Dictionary(uniqueKeysWithValues: canonical.map { ($0.number, $0.rawRLP) })
        let hashByNumber = Dictionary(uniqueKeysWithValues: try canonical.map { ($0.number, try hashing.hash($0)) })
        var byHash = Dictionary(uniqueKeysWithValues: try canonical.map { (try hashing.hash($0), $0.rawRLP) })
        for header in extra { byHash[try hashing.hash(header)] = header.rawRLP }
        byHash[blockHash] = header.rawRLP
        let headNumber = canonical.map(\.number).max() ?? 0
        let receiptsRLP = receipts.map { JSONValue.string(Hex.encode($0.encoded(), prefix: true)) }
        let receipt = JSONValue.object([
            ("status", .string("0x1")), ("blockHash", .string(Hex.encode(blockHash, prefix: true))),
            ("blockNumber", .string(Quantity(header.number).description)),
            ("transactionIndex", .string(Quantity(transactionIndex ?? UInt64(chain.anchorIndex)).description)),
            ("gasUsed", .string("0x5eb3")), ("contractAddress", .null),
        ])
        let hash = Hex.encode(transactionHash, prefix: true)
        let headers = byNumber
        let known = byHash
        return try ScriptedNode { method, params in
            switch method {
            case "eth_chainId": return .result(.string(chainID))
            case "eth_blockNumber": return .result(.string(Quantity(headNumber).description))
            case "eth_getTransactionReceipt":
                return .result(params.first?.stringValue == hash ? receipt : .null)
            case "eth_getTransactionByHash": return .result(.null)
            case "eth_getTransactionCount": return .result(.string("0x0"))
            case "eth_maxPriorityFeePerGas": return .result(.string("0x3b9aca00"))
            case "eth_getBlockByNumber":
                // "latest" for the base fee; a number for the canonical block's hash (witnesses).
                guard let number = Quantity(hexQuantity: params.first?.stringValue ?? "")?.uint64Value else {
                    return .result(.object([("baseFeePerGas", .string("0x7"))]))
                }
                guard let hash = hashByNumber[number] else { return .result(.null) }
                return .result(.object([("number", .string(Quantity(number).description)),
                                        ("hash", .string(Hex.encode(hash, prefix: true)))]))
            case "eth_sendRawTransaction":
                return send ?? .error(-32000, "unexpected")
            case "debug_getRawHeader":
                let key = params.first?.stringValue ?? ""
                let raw = key.count == 66 ? known[Hex.decode(key) ?? []]
                    : Quantity(hexQuantity: key)?.uint64Value.flatMap { headers[$0] }
                guard let raw else { return .error(-32000, "header not found") }
                return .result(.string(Hex.encode(raw, prefix: true)))
            case "debug_getRawReceipts": return .result(.array(receiptsRLP))
            default: return .error(-32601, "method not found")
            }
        }
    }

    func backend(_ node: ScriptedNode, finality: EVMLedgerConfiguration.FinalityPolicy = .confirmations(3),
                 trust: EVMLedgerConfiguration.ConfirmationTrust = .init(singleNode: true)) throws -> EVMLedgerBackend {
        try EVMLedgerBackend(configuration: EVMLedgerConfiguration(
            endpoint: node.endpoint, chainID: chain.chainID, contract: chain.contract, ledgerKey: chain.senderKey,
            finality: finality, transport: .init(connectTimeout: .seconds(1), requestTimeout: .seconds(5)),
            confirmationTrust: trust))
    }

    /// What a backend on `node` reports for a ticket of the scripted transaction.
    func progress(on node: ScriptedNode, finality: EVMLedgerConfiguration.FinalityPolicy = .confirmations(3)) throws
        -> AnchorProgress {
        let backend = try backend(node, finality: finality)
        return try backend.progress(of: try ticket(backend), for: chain.request)
    }

    /// A ticket whose current transaction hash is the one the node has a receipt for.
    func ticket(_ backend: EVMLedgerBackend) throws -> AnchorTicket {
        let signed = try backend.sign(chain.request, nonce: 0, fees: .init(maxFee: 100, priority: 1))
        // The node knows the receipt under `transactionHash`: remember it as an earlier hash.
        let state = EVMTicketState(transaction: signed, maxFeePerGas: 100, maxPriorityFeePerGas: 1, submittedAt: 0,
                                   earlierHashes: [transactionHash])
        return AnchorTicket(backend: "evm", state: state.encoded(), submittedAt: 0)
    }
}

@Suite struct ScriptedNodeTests {
    @Test func confirmationsFinalityAnchorsAndTheEvidenceMatchesTheBlocks() throws {
        let scripted = try ScriptedChain()
        let evidence = try #require(try scripted.progress(on: try scripted.node()).evidence, "anchored")
        let body = try EVMAnchorEvidence(body: evidence.body)
        #expect(body.finality == .confirmations(headers: scripted.descendants.map(\.rawRLP)))
        #expect(body.receiptIndex == 2 && body.logIndex == 1)
        try scripted.chain.verifier(trusted: [scripted.descendants.last!.hash], minimum: 3)
            .verify(evidence, for: scripted.chain.request)
    }

    @Test func tooFewBlocksIsPending() throws {
        let scripted = try ScriptedChain()
        let node = try scripted.node(canonical: [scripted.header] + scripted.descendants.prefix(2))
        let detail = try #require(try scripted.progress(on: node).pendingDetail, "pending")
        #expect(detail.contains("2 of 3 confirmations"))
    }

    @Test func anAnchorBlockNoLongerCanonicalIsAReorg() throws {
        let scripted = try ScriptedChain()
        // The node still has the receipt and the old block by hash, but height 100 is now
        // another block, and the descendants build on that one.
        let replacement = try scripted.chain.header(number: 100, parentHash: [UInt8](repeating: 0x99, count: 32),
                                                    receiptsRoot: MerklePatriciaTrie.emptyRootHash, extraData: [1])
        var fork = [replacement]
        for number in 101...103 {
            fork.append(try scripted.chain.header(number: UInt64(number), parentHash: fork.last!.hash,
                                                  receiptsRoot: MerklePatriciaTrie.emptyRootHash))
        }
        let reason = try #require(try scripted.progress(on: try scripted.node(canonical: fork)).resubmitReason, "resubmit")
        #expect(reason.contains("reorged"))
    }

    @Test func descendantsThatDoNotLinkAreALie() throws {
        let scripted = try ScriptedChain()
        var broken = scripted.descendants
        broken[1] = try scripted.chain.header(number: 102, parentHash: [UInt8](repeating: 0x55, count: 32),
                                              receiptsRoot: MerklePatriciaTrie.emptyRootHash)
        let node = try scripted.node(canonical: [scripted.header] + broken)
        let backend = try scripted.backend(node)
        let ticket = try scripted.ticket(backend)
        expectLedgerError(.untrustworthyNode, step: "chain-link") { () throws(LedgerError) in
            try backend.progress(of: ticket, for: scripted.chain.request)
        }
    }

    @Test func aTransactionIndexAtAnotherReceiptIsAnAnchorEventLie() throws {
        let scripted = try ScriptedChain()
        let node = try scripted.node(transactionIndex: 1)
        let backend = try scripted.backend(node)
        let ticket = try scripted.ticket(backend)
        expectLedgerError(.untrustworthyNode, step: "anchor-event") { () throws(LedgerError) in
            try backend.progress(of: ticket, for: scripted.chain.request)
        }
    }

    @Test func aRevertedAnchorIsRejected() throws {
        var receipts = try ScriptedChain().receipts
        receipts[2].outcome = .failure
        let scripted = try ScriptedChain(receipts: receipts)
        let node = try scripted.node()
        let backend = try scripted.backend(node)
        let ticket = try scripted.ticket(backend)
        expectLedgerError(.rejected) { () throws(LedgerError) in
            try backend.progress(of: ticket, for: scripted.chain.request)
        }
    }

    @Test func qbftFinalityAnchorsWithAQuorumOfSeals() throws {
        let validators = (0..<4).map { _ in PrivateKey() }
        let scripted = try ScriptedChain(qbftValidators: validators, sealers: Array(validators.prefix(3)))
        let progress = try scripted.progress(on: try scripted.node(canonical: [scripted.header]),
                                             finality: .qbft(validators: validators.map(\.publicKey.ethereumAddress)))
        let evidence = try #require(progress.evidence, "anchored")
        #expect(try EVMAnchorEvidence(body: evidence.body).finality == .qbft)
        #expect(try EVMAnchorEvidence(body: evidence.body).blockHash == (try QBFT.blockHash(scripted.header)))
        try EVMEvidenceVerifier(chainID: 1337, contract: scripted.chain.contract, senders: [scripted.chain.sender],
                                trust: .qbft(validators: validators.map(\.publicKey.ethereumAddress)))
            .verify(evidence, for: scripted.chain.request)
    }

    @Test func qbftWithoutAQuorumIsNeverAnchored() throws {
        let validators = (0..<4).map { _ in PrivateKey() }
        let scripted = try ScriptedChain(qbftValidators: validators, sealers: Array(validators.prefix(2)))
        let node = try scripted.node(canonical: [scripted.header])
        let backend = try scripted.backend(node, finality: .qbft(validators: validators.map(\.publicKey.ethereumAddress)))
        let ticket = try scripted.ticket(backend)
        expectLedgerError(.untrustworthyNode, step: "finality") { () throws(LedgerError) in
            try backend.progress(of: ticket, for: scripted.chain.request)
        }
    }

    @Test func alreadyKnownIsASuccessfulSubmission() throws {
        let scripted = try ScriptedChain()
        let node = try scripted.node(send: .error(-32000, "already known"))
        let backend = try scripted.backend(node)
        let ticket = try backend.submit(scripted.chain.request, replacing: nil)
        let state = try EVMTicketState(ticket: ticket)
        #expect(state.nonce == 0)
        // Fees from the node: priority 1 gwei, max fee 2 × base fee (7 wei) + priority.
        #expect(state.maxPriorityFeePerGas == 1_000_000_000)
        #expect(state.maxFeePerGas == 1_000_000_014)
    }

    @Test func aNodeReturningAnotherTransactionHashIsMalformed() throws {
        let scripted = try ScriptedChain()
        let node = try scripted.node(send: .result(.string("0x" + String(repeating: "12", count: 32))))
        let backend = try scripted.backend(node)
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in
            try backend.submit(scripted.chain.request, replacing: nil)
        }
    }

    @Test func otherSendErrorsAreRejections() throws {
        let scripted = try ScriptedChain()
        let node = try scripted.node(send: .error(-32000, "insufficient funds for gas * price + value"))
        let backend = try scripted.backend(node)
        do {
            _ = try backend.submit(scripted.chain.request, replacing: nil)
            Issue.record("submitted")
        } catch {
            #expect(error.code == .rejected)
            #expect(error.reason.contains("insufficient funds"))
        }
    }
}

extension AnchorProgress {
    /// The evidence, when anchored.
    var evidence: AnchorEvidence? { if case .anchored(let evidence) = self { evidence } else { nil } }
    /// The detail, when pending.
    var pendingDetail: String? { if case .pending(_, let detail) = self { detail } else { nil } }
    /// The reason, when to be resubmitted.
    var resubmitReason: String? { if case .resubmit(let reason) = self { reason } else { nil } }
}
