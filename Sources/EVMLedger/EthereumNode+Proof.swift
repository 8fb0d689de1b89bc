import EVMLightClient
import Ledger
import Telemetry

extension EthereumNode {
    /// Proof nodes per proof and proof node size accepted from a node (a state trie path is at
    /// most 64 nibbles deep; a branch node is at most 532 bytes).
    static let maximumProofNodes = 80
    static let maximumProofNodeBytes = 1024

    /// `eth_getProof(address, slots, block)` (EIP-1186), decoded but not verified: a claim to be
    /// checked with ``AccountProof/verify(stateRoot:)``.
    func proof(_ address: EthereumAddress, slots: [[UInt8]], block: UInt64) throws(LedgerError) -> AccountProof {
        let value = try rpc.call("eth_getProof", [NodeValues.hex(address.bytes), .array(slots.map(NodeValues.hex)),
                                                  NodeValues.quantity(block)])
        return try Self.accountProof(value)
    }

    /// An `eth_getProof` answer as an ``AccountProof``.
    /// - Throws: ``LedgerError`` `.malformedResponse` for anything not shaped like EIP-1186.
    static func accountProof(_ value: JSONValue) throws(LedgerError) -> AccountProof {
        guard case .object = value else { throw NodeValues.malformed("eth_getProof", "is not an object") }
        let addressBytes = try NodeValues.fixedData(value["address"], "eth_getProof address", count: 20)
        guard let address = try? EthereumAddress(bytes: addressBytes) else {
            throw NodeValues.malformed("eth_getProof address", "is not an address")
        }
        guard let slots = value["storageProof"]?.arrayValue else {
            throw NodeValues.malformed("eth_getProof storageProof", "is not an array")
        }
        var storage: [AccountProof.StorageSlot] = []
        for slot in slots {
            let key = try NodeValues.quantity(slot["key"], "eth_getProof storage key")
            let slotValue = try NodeValues.quantity(slot["value"], "eth_getProof storage value")
            let slotProof = try nodes(slot["proof"], "eth_getProof storage proof")
            // A quantity holds at most 32 bytes, so the key always fits a slot.
            guard let entry = try? AccountProof.StorageSlot(slot: key.bigEndianBytes, value: slotValue, proof: slotProof)
            else { throw NodeValues.malformed("eth_getProof storage key", "exceeds 32 bytes") }
            storage.append(entry)
        }
        guard let nonce = try NodeValues.quantity(value["nonce"], "eth_getProof nonce").uint64Value else {
            throw NodeValues.malformed("eth_getProof nonce", "does not fit in 64 bits")
        }
        return AccountProof(
            address: address,
            accountProof: try nodes(value["accountProof"], "eth_getProof accountProof"),
            nonce: nonce,
            balance: try NodeValues.quantity(value["balance"], "eth_getProof balance"),
            storageHash: try NodeValues.fixedData(value["storageHash"], "eth_getProof storageHash", count: 32),
            codeHash: try NodeValues.fixedData(value["codeHash"], "eth_getProof codeHash", count: 32),
            storageProof: storage)
    }

    private static func nodes(_ value: JSONValue?, _ what: String) throws(LedgerError) -> [[UInt8]] {
        guard let items = value?.arrayValue, items.count <= maximumProofNodes else {
            throw NodeValues.malformed(what, "is not an array of at most \(maximumProofNodes) nodes")
        }
        var nodes: [[UInt8]] = []
        nodes.reserveCapacity(items.count)
        for item in items {
            nodes.append(try NodeValues.data(item, what, maximumBytes: maximumProofNodeBytes))
        }
        return nodes
    }
}
