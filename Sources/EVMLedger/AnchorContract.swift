public import EVMLightClient
public import Ledger

/// The anchor contract's interface: what the gateway sends and the event it looks for.
///
/// The contract (hand-assembled, `Contracts/Anchor/anchor.listing.md`) has no function
/// selector: its calldata is exactly 96 bytes,
///
///     gatewayId (bytes32) ‖ root (bytes32) ‖ treeSize (uint256)
///
/// with `gatewayId = keccak256(UTF-8 gateway id)`, and it emits one `LOG3`:
///
///     topics = [keccak256("Anchored(address,bytes32,bytes32,uint256)"),
///               sender address left-padded to 32 bytes, gatewayId]
///     data   = root ‖ treeSize (uint256)
///
/// i.e. the Solidity event `Anchored(address indexed sender, bytes32 indexed gatewayId,
/// bytes32 root, uint256 treeSize)`. The sender is `msg.sender`, so only the holder of the
/// gateway's ledger key can produce an event naming its address.
public enum AnchorContract {
    /// The event signature.
    public static let eventSignature = "Anchored(address,bytes32,bytes32,uint256)"
    /// `keccak256(eventSignature)`, the event's first topic.
    public static let eventTopic: [UInt8] = Keccak256.hash(Array(eventSignature.utf8))
    /// The calldata length: 96 bytes.
    public static let calldataByteCount = 96

    /// `keccak256` of the gateway id's UTF-8 bytes: the indexed `gatewayId`.
    public static func gatewayIDHash(_ gatewayID: String) -> [UInt8] {
        Keccak256.hash(Array(gatewayID.utf8))
    }

    /// A `uint256` word holding `value`.
    public static func word(_ value: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 24)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        return out
    }

    /// An address left-padded to a 32-byte word (an indexed `address` topic).
    public static func word(_ address: EthereumAddress) -> [UInt8] {
        [UInt8](repeating: 0, count: 12) + address.bytes
    }

    /// The transaction data anchoring `request`: `gatewayId ‖ root ‖ treeSize`.
    public static func calldata(for request: AnchorRequest) -> [UInt8] {
        gatewayIDHash(request.gatewayID) + request.rootHash + word(request.treeSize)
    }

    /// The topics the anchor event of `request` sent by `sender` must carry.
    public static func topics(for request: AnchorRequest, sender: EthereumAddress) -> [[UInt8]] {
        [eventTopic, word(sender), gatewayIDHash(request.gatewayID)]
    }

    /// The event data for `request`: `root ‖ treeSize`.
    public static func eventData(for request: AnchorRequest) -> [UInt8] {
        request.rootHash + word(request.treeSize)
    }

    /// The exact log the contract at `contract` emits when `sender` anchors `request`.
    public static func expectedLog(for request: AnchorRequest, contract: EthereumAddress,
                                   sender: EthereumAddress) -> Log {
        Log(address: contract.bytes, topics: topics(for: request, sender: sender), data: eventData(for: request))
    }

    /// The sender named by an anchor log's second topic, if it is a left-padded address.
    static func sender(of log: Log) -> EthereumAddress? {
        guard log.topics.count == 3, log.topics[1].prefix(12).allSatisfy({ $0 == 0 }) else { return nil }
        return try? EthereumAddress(bytes: log.topics[1].suffix(20))
    }

    /// The address a contract created by `sender` with `nonce` gets: the last 20 bytes of
    /// `keccak256(RLP([sender, nonce]))`.
    public static func creationAddress(sender: EthereumAddress, nonce: UInt64) -> EthereumAddress {
        let encoded = RLP.encode(.list([.bytes(sender.bytes), .uint(nonce)]))
        guard let address = try? EthereumAddress(bytes: Keccak256.hash(encoded).suffix(20)) else {
            preconditionFailure("the last 20 bytes of a 32-byte hash are an address")
        }
        return address
    }
}
