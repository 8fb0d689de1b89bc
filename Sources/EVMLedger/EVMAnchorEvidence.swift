public import EVMLightClient
public import Ledger
import Telemetry

/// The body of `evm-receipt-log` evidence: one canonical JSON object (``JSONWriter``), small
/// enough to travel in a proof bundle (one header, one receipt's trie path, the finality data).
///
///     {"blockHash":"0x…","blockNumber":42,"chainId":1337,"contract":"0x…",
///      "finality":{"headers":["0x…","0x…"],"kind":"confirmations"},
///      "header":"0x…","logIndex":0,"receiptIndex":0,"receiptProof":["0x…"],"sender":"0x…"}
///
/// `finality` is `{"kind":"confirmations","headers":[descendant headers, in order]}`,
/// `{"kind":"pinned","headers":[headers up to the pinned block, in order]}` or
/// `{"kind":"qbft"}` (the commit seals are in `header`'s extraData). Hex is lower-case with `0x`;
/// integers are JSON numbers below 2^53. Unknown members and non-canonical encodings are rejected.
public struct EVMAnchorEvidence: Sendable, Hashable {
    /// How the anchor block was shown final.
    public enum Finality: Sendable, Hashable {
        /// Raw RLP of the descendant headers, child of the anchor block first.
        case confirmations(headers: [[UInt8]])
        /// Raw RLP of the headers from the anchor block's child up to and including a block the
        /// operator pinned, child first (empty when the anchor block itself is pinned).
        case pinned(headers: [[UInt8]])
        /// The anchor header's QBFT commit seals.
        case qbft
    }

    /// The evidence type: `evm-receipt-log`.
    public static let type = "evm-receipt-log"
    /// The largest body accepted: 4 MiB.
    public static let maximumBodyBytes = 4 * 1024 * 1024

    /// The chain id.
    public var chainID: UInt64
    /// The anchor contract (the log's emitter).
    public var contract: EthereumAddress
    /// The anchor block's number.
    public var blockNumber: UInt64
    /// The anchor block's hash (per the chain's ``HeaderHashing``).
    public var blockHash: [UInt8]
    /// The anchor block's header, raw RLP.
    public var header: [UInt8]
    /// The anchor transaction's index in the block (its receipt's trie key is `RLP(index)`).
    public var receiptIndex: UInt64
    /// The receipts-trie proof nodes for `RLP(receiptIndex)`, root first.
    public var receiptProof: [[UInt8]]
    /// The index of the anchor log within the receipt's logs.
    public var logIndex: UInt64
    /// The account that sent the anchor transaction (the event's indexed sender).
    public var sender: EthereumAddress
    /// The finality data.
    public var finality: Finality

    /// The headers after the anchor block that the finality data carries (none for QBFT).
    public var chainHeaders: [[UInt8]] {
        switch finality {
        case .confirmations(let headers), .pinned(let headers): headers
        case .qbft: []
        }
    }

    /// Creates evidence.
    public init(chainID: UInt64, contract: EthereumAddress, blockNumber: UInt64, blockHash: [UInt8], header: [UInt8],
                receiptIndex: UInt64, receiptProof: [[UInt8]], logIndex: UInt64, sender: EthereumAddress,
                finality: Finality) {
        self.chainID = chainID
        self.contract = contract
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.header = header
        self.receiptIndex = receiptIndex
        self.receiptProof = receiptProof
        self.logIndex = logIndex
        self.sender = sender
        self.finality = finality
    }

    /// The canonical JSON body.
    public func encoded() -> [UInt8] {
        let finalityValue: JSONValue = switch finality {
        case .confirmations(let headers):
            .object([("kind", .string("confirmations")), ("headers", .array(headers.map(Self.hex)))])
        case .pinned(let headers):
            .object([("kind", .string("pinned")), ("headers", .array(headers.map(Self.hex)))])
        case .qbft:
            .object([("kind", .string("qbft"))])
        }
        return JSONWriter.canonicalBytes(.object([
            ("chainId", .number(Double(chainID))),
            ("contract", Self.hex(contract.bytes)),
            ("blockNumber", .number(Double(blockNumber))),
            ("blockHash", Self.hex(blockHash)),
            ("header", Self.hex(header)),
            ("receiptIndex", .number(Double(receiptIndex))),
            ("receiptProof", .array(receiptProof.map(Self.hex))),
            ("logIndex", .number(Double(logIndex))),
            ("sender", Self.hex(sender.bytes)),
            ("finality", finalityValue),
        ]))
    }

    /// Decodes a body strictly: every member present with the right type, no unknown member,
    /// hex well formed, sizes bounded.
    /// - Throws: ``LedgerError`` `.invalidEvidence` at step `parse`.
    public init(body: [UInt8]) throws(LedgerError) {
        let document: JSONValue
        do {
            document = try JSONParser(maxBytes: Self.maximumBodyBytes, maxDepth: 8).parse(body)
        } catch {
            throw Self.parseError("body is not JSON (\(error))")
        }
        let known: Set<String> = ["chainId", "contract", "blockNumber", "blockHash", "header", "receiptIndex",
                                  "receiptProof", "logIndex", "sender", "finality"]
        guard let members = document.objectValue else { throw Self.parseError("body is not a JSON object") }
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw Self.parseError("unknown member \(JSONRPCClient.sanitise(String(unknown.key.prefix(40))))")
        }
        chainID = try Self.integer(document["chainId"], "chainId")
        contract = try Self.address(document["contract"], "contract")
        blockNumber = try Self.integer(document["blockNumber"], "blockNumber")
        blockHash = try Self.bytes(document["blockHash"], "blockHash", maximum: 32)
        guard blockHash.count == 32 else { throw Self.parseError("blockHash is not 32 bytes") }
        header = try Self.bytes(document["header"], "header", maximum: 64 * 1024)
        receiptIndex = try Self.integer(document["receiptIndex"], "receiptIndex")
        receiptProof = try Self.byteList(document["receiptProof"], "receiptProof", count: 64, maximum: 1 << 20)
        logIndex = try Self.integer(document["logIndex"], "logIndex")
        sender = try Self.address(document["sender"], "sender")
        guard let finalityMembers = document["finality"]?.objectValue else {
            throw Self.parseError("finality is not an object")
        }
        let finalityValue = document["finality"]!
        switch finalityValue["kind"]?.stringValue {
        case "confirmations":
            guard finalityMembers.count == 2 else { throw Self.parseError("finality has unknown members") }
            finality = .confirmations(headers: try Self.byteList(
                finalityValue["headers"], "finality.headers", count: EVMEvidenceVerifier.maximumDescendantHeaders,
                maximum: 64 * 1024))
        case "pinned":
            guard finalityMembers.count == 2 else { throw Self.parseError("finality has unknown members") }
            finality = .pinned(headers: try Self.byteList(
                finalityValue["headers"], "finality.headers", count: EVMEvidenceVerifier.maximumPinnedChainHeaders,
                maximum: 64 * 1024))
        case "qbft":
            guard finalityMembers.count == 1 else { throw Self.parseError("finality has unknown members") }
            finality = .qbft
        default:
            throw Self.parseError("finality.kind is not confirmations, pinned or qbft")
        }
        guard encoded() == body else {
            throw Self.parseError("body is not in canonical form (sorted keys, no whitespace, lower-case hex)")
        }
    }

    private static func hex(_ bytes: [UInt8]) -> JSONValue { .string(Hex.encode(bytes, prefix: true)) }

    static func parseError(_ reason: String) -> LedgerError {
        LedgerError(code: .invalidEvidence, reason: reason, step: "parse")
    }

    private static func integer(_ value: JSONValue?, _ name: String) throws(LedgerError) -> UInt64 {
        guard let number = value?.numberValue, number >= 0, number < 9_007_199_254_740_992,
              number == number.rounded(.towardZero) else {
            throw parseError("\(name) is not a non-negative integer below 2^53")
        }
        return UInt64(number)
    }

    private static func bytes(_ value: JSONValue?, _ name: String, maximum: Int) throws(LedgerError) -> [UInt8] {
        guard let text = value?.stringValue, text.hasPrefix("0x"), text.utf8.count <= 2 + 2 * maximum,
              let bytes = Hex.decode(text) else {
            throw parseError("\(name) is not 0x-prefixed hex of at most \(maximum) bytes")
        }
        return bytes
    }

    private static func byteList(_ value: JSONValue?, _ name: String, count: Int,
                                 maximum: Int) throws(LedgerError) -> [[UInt8]] {
        guard let items = value?.arrayValue, items.count <= count else {
            throw parseError("\(name) is not an array of at most \(count) hex strings")
        }
        var out: [[UInt8]] = []
        for (index, item) in items.enumerated() {
            out.append(try bytes(item, "\(name)[\(index)]", maximum: maximum))
        }
        return out
    }

    private static func address(_ value: JSONValue?, _ name: String) throws(LedgerError) -> EthereumAddress {
        let raw = try bytes(value, name, maximum: 20)
        guard let address = try? EthereumAddress(bytes: raw) else { throw parseError("\(name) is not 20 bytes") }
        return address
    }
}
