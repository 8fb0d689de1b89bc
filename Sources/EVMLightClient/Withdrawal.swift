/// A validator withdrawal (EIP-4895): `[index, validatorIndex, address, amount in Gwei]`.
public struct Withdrawal: Sendable, Hashable {
    /// The withdrawal's global sequence number.
    public var index: UInt64
    /// The consensus-layer validator index.
    public var validatorIndex: UInt64
    /// 20-byte recipient address.
    public var address: [UInt8]
    /// The amount in Gwei.
    public var amountGwei: UInt64

    /// Creates a withdrawal.
    public init(index: UInt64, validatorIndex: UInt64, address: [UInt8], amountGwei: UInt64) {
        self.index = index
        self.validatorIndex = validatorIndex
        self.address = address
        self.amountGwei = amountGwei
    }

    /// Decodes a withdrawal from its RLP list.
    public init(item: RLPItem) throws(RLPError) {
        let fields = try item.asList(count: 4, "withdrawal")
        index = try fields[0].asUInt64("withdrawal index")
        validatorIndex = try fields[1].asUInt64("validator index")
        address = try fields[2].asFixedBytes(count: 20, "withdrawal address")
        amountGwei = try fields[3].asUInt64("withdrawal amount")
    }

    /// The withdrawal as an RLP list.
    public var rlpItem: RLPItem {
        .list([.uint(index), .uint(validatorIndex), .bytes(address), .uint(amountGwei)])
    }
}
