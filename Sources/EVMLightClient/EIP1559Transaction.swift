public import Secp256k1

/// An unsigned EIP-1559 (type 2) transaction.
///
/// The signing hash is `keccak256(0x02 ‖ RLP([chainId, nonce, maxPriorityFeePerGas,
/// maxFeePerGas, gasLimit, to, value, data, accessList]))`; `to` is the empty string for contract
/// creation. Integers are minimal big-endian RLP integers. `chainId`, `nonce` and `gasLimit` are
/// `UInt64` (EIP-2681 caps nonces at 2^64 - 1; chain ids and gas limits are far below); fees and
/// value are ``Quantity`` (up to 256 bits).
public struct EIP1559Transaction: Sendable, Hashable {
    /// The EIP-2718 transaction type byte: 0x02.
    public static let transactionType: UInt8 = 0x02

    /// The chain id (EIP-155); replay protection across chains.
    public var chainId: UInt64
    /// The sender's account nonce.
    public var nonce: UInt64
    /// The tip per gas paid to the block producer, in wei.
    public var maxPriorityFeePerGas: Quantity
    /// The most the sender pays per gas (base fee plus tip), in wei.
    public var maxFeePerGas: Quantity
    /// The gas limit.
    public var gasLimit: UInt64
    /// The recipient, or nil to create a contract from ``data``.
    public var to: EthereumAddress?
    /// The amount transferred, in wei.
    public var value: Quantity
    /// Call data, or init code for contract creation.
    public var data: [UInt8]
    /// EIP-2930 access list.
    public var accessList: [AccessListEntry]

    /// Creates a transaction.
    public init(chainId: UInt64, nonce: UInt64, maxPriorityFeePerGas: Quantity, maxFeePerGas: Quantity,
                gasLimit: UInt64, to: EthereumAddress?, value: Quantity = .zero, data: [UInt8] = [],
                accessList: [AccessListEntry] = []) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }

    /// The nine unsigned fields as RLP items, in order.
    var fields: [RLPItem] {
        [
            .uint(chainId), .uint(nonce), maxPriorityFeePerGas.rlpItem, maxFeePerGas.rlpItem, .uint(gasLimit),
            .bytes(to?.bytes ?? []), value.rlpItem, .bytes(data), .list(accessList.map(\.rlpItem)),
        ]
    }

    /// `0x02 ‖ RLP([chainId, …, accessList])`, the bytes whose hash is signed.
    public var signingPayload: [UInt8] {
        [Self.transactionType] + RLP.encode(.list(fields))
    }

    /// `keccak256(signingPayload)`.
    public var signingHash: [UInt8] {
        Keccak256.hash(signingPayload)
    }

    /// Signs with `key` (RFC 6979 deterministic nonce, low s).
    /// - Throws: ``LightClientError`` `.signingFailed` (not expected for a valid key).
    public func sign(with key: PrivateKey) throws(LightClientError) -> SignedTransaction {
        let signature: RecoverableSignature
        do {
            signature = try key.signRecoverable(hash: signingHash)
        } catch {
            throw LightClientError(.signingFailed, "signing the transaction failed", secp256k1: error)
        }
        return try SignedTransaction(transaction: self, signature: signature)
    }
}
