/// A transaction receipt and its consensus encoding (EIP-658, EIP-2718).
///
/// The payload is `RLP([status, cumulativeGasUsed, logsBloom, logs])`. A legacy receipt
/// (``type`` 0) is that payload alone; a typed receipt is `type ‖ payload`. The receipts trie of
/// a block maps `RLP(index)` to this encoding (see ``rootHash(_:)``).
public struct Receipt: Sendable, Hashable {
    /// The first field: a status code since Byzantium, an intermediate state root before.
    public enum Outcome: Sendable, Hashable {
        case success
        case failure
        /// Pre-Byzantium: the 32-byte state root after the transaction.
        case postStateRoot([UInt8])
    }

    /// The EIP-2718 transaction type; 0 for legacy.
    public var type: UInt8
    /// Status (success/failure) or, before Byzantium, the post-transaction state root.
    public var outcome: Outcome
    /// Gas used in the block up to and including this transaction.
    public var cumulativeGasUsed: UInt64
    /// 256 bytes.
    public var logsBloom: [UInt8]
    /// The logs emitted by the transaction, in order.
    public var logs: [Log]

    /// Creates a receipt; `logsBloom` defaults to the bloom computed from `logs`.
    public init(type: UInt8 = 0, outcome: Outcome, cumulativeGasUsed: UInt64, logsBloom: [UInt8]? = nil,
                logs: [Log] = []) {
        self.type = type
        self.outcome = outcome
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logsBloom = logsBloom ?? Self.bloom(for: logs)
        self.logs = logs
    }

    /// Decodes a receipt from its consensus encoding (as found in the receipts trie).
    public init(encoded: some Collection<UInt8>) throws(LightClientError) {
        let bytes = Array(encoded)
        guard let first = bytes.first else {
            throw LightClientError(.malformedReceipt, "empty receipt encoding")
        }
        let payload: ArraySlice<UInt8>
        if first <= 0x7F {
            type = first
            payload = bytes.dropFirst()
        } else {
            type = 0
            payload = bytes[...]
        }
        do throws(RLPError) {
            let fields = try RLP.decode(payload).asList(count: 4, "receipt")
            let status = try fields[0].asBytes("receipt status")
            switch status {
            case []: outcome = .failure
            case [1]: outcome = .success
            case _ where status.count == 32: outcome = .postStateRoot(status)
            default: throw RLPError(.wrongLength, "receipt status must be empty, 0x01 or a 32-byte root")
            }
            cumulativeGasUsed = try fields[1].asUInt64("cumulativeGasUsed")
            logsBloom = try fields[2].asFixedBytes(count: 256, "logsBloom")
            logs = try fields[3].asList("logs").map { item throws(RLPError) in try Log(item: item) }
        } catch {
            throw LightClientError(.malformedReceipt, "receipt does not decode", underlying: error)
        }
    }

    /// The consensus encoding: `RLP(payload)` for legacy, `type ‖ RLP(payload)` for typed receipts.
    public func encoded() -> [UInt8] {
        let status: RLPItem = switch outcome {
        case .success: .bytes([1])
        case .failure: .empty
        case .postStateRoot(let root): .bytes(root)
        }
        let payload = RLP.encode(.list([
            status, .uint(cumulativeGasUsed), .bytes(logsBloom), .list(logs.map(\.rlpItem)),
        ]))
        return type == 0 ? payload : [type] + payload
    }

    /// The receipts trie root of a block's receipts, in transaction order.
    public static func rootHash(_ receipts: [Receipt]) -> [UInt8] {
        MerklePatriciaTrie.orderedRootHash(receipts.map { $0.encoded() })
    }

    /// The 2048-bit bloom filter over the logs' addresses and topics: for each, the low 11 bits
    /// of byte pairs 0-1, 2-3 and 4-5 of its Keccak-256 hash select the bits to set.
    public static func bloom(for logs: [Log]) -> [UInt8] {
        var bloom = [UInt8](repeating: 0, count: 256)
        for log in logs {
            addToBloom(&bloom, log.address)
            for topic in log.topics { addToBloom(&bloom, topic) }
        }
        return bloom
    }

    private static func addToBloom(_ bloom: inout [UInt8], _ value: [UInt8]) {
        let hash = Keccak256.hash(value)
        for pair in stride(from: 0, to: 6, by: 2) {
            let bit = (Int(hash[pair]) << 8 | Int(hash[pair + 1])) & 2047
            bloom[255 - bit / 8] |= UInt8(1) << (bit % 8)
        }
    }
}
