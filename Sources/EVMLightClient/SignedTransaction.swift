public import Secp256k1

/// A signed EIP-1559 transaction: `rawBytes = 0x02 ‖ RLP([chainId, nonce, maxPriorityFeePerGas,
/// maxFeePerGas, gasLimit, to, value, data, accessList, yParity, r, s])`, as sent with
/// `eth_sendRawTransaction` and stored in blocks; ``hash`` is `keccak256(rawBytes)`.
///
/// Decoding is strict: the type byte must be 0x02, the RLP canonical with exactly 12 fields and
/// nothing after them, integers minimal and in range, `to` empty or 20 bytes, `yParity` 0 or 1,
/// `r` and `s` in `1..<n` and `s <= n/2` (EIP-2). Legacy (untyped) and other typed transactions
/// are rejected with `.unsupportedTransactionType`.
public struct SignedTransaction: Sendable, Hashable {
    /// The default maximum accepted encoding: 128 KiB (geth's transaction pool limit).
    public static let defaultMaximumSize = 128 * 1024

    /// The transaction that was signed.
    public let transaction: EIP1559Transaction
    /// The signature over ``EIP1559Transaction/signingHash``; its recovery id is `yParity`.
    public let signature: RecoverableSignature
    /// The EIP-2718 encoding.
    public let rawBytes: [UInt8]

    /// Combines a transaction and a signature over its signing hash.
    /// - Throws: ``LightClientError`` `.invalidSignature` for a recovery id other than 0/1 or a
    ///   high `s`. (Whether the signature matches a sender is checked by ``recoverSender()``.)
    public init(transaction: EIP1559Transaction, signature: RecoverableSignature) throws(LightClientError) {
        try Self.checkEthereumForm(signature)
        self.transaction = transaction
        self.signature = signature
        let signatureFields: [RLPItem] = [
            .uint(UInt64(signature.recoveryID)), .bigEndianInteger(signature.r), .bigEndianInteger(signature.s),
        ]
        rawBytes = [EIP1559Transaction.transactionType] + RLP.encode(.list(transaction.fields + signatureFields))
    }

    /// Decodes a raw typed transaction.
    /// - Throws: ``LightClientError`` `.unsupportedTransactionType`, `.malformedTransaction` (with
    ///   the underlying ``RLPError``) or `.invalidSignature`.
    public init(rawBytes bytes: some Collection<UInt8>,
                maximumSize: Int = SignedTransaction.defaultMaximumSize) throws(LightClientError) {
        let raw = Array(bytes)
        guard raw.count <= maximumSize else {
            throw LightClientError(.malformedTransaction, "transaction of \(raw.count) bytes exceeds \(maximumSize)")
        }
        guard let type = raw.first else {
            throw LightClientError(.malformedTransaction, "empty transaction")
        }
        guard type == EIP1559Transaction.transactionType else {
            let kind = type >= 0xC0 ? "legacy (untyped) transaction" : "transaction type \(type)"
            throw LightClientError(.unsupportedTransactionType, "\(kind) is not supported, only type 2")
        }
        let transaction: EIP1559Transaction
        let yParity: UInt64, r: [UInt8], s: [UInt8]
        do throws(RLPError) {
            let fields = try RLP.decode(raw.dropFirst()).asList(count: 12, "EIP-1559 transaction")
            let to = try fields[5].asBytes("to")
            guard to.isEmpty || to.count == EthereumAddress.byteCount else {
                throw RLPError(.wrongLength, "to: expected 0 or 20 bytes, found \(to.count)")
            }
            transaction = EIP1559Transaction(
                chainId: try fields[0].asUInt64("chainId"), nonce: try fields[1].asUInt64("nonce"),
                maxPriorityFeePerGas: try Self.quantity(fields[2], "maxPriorityFeePerGas"),
                maxFeePerGas: try Self.quantity(fields[3], "maxFeePerGas"),
                gasLimit: try fields[4].asUInt64("gasLimit"),
                to: to.isEmpty ? nil : EthereumAddress(checkedBytes: to),
                value: try Self.quantity(fields[6], "value"), data: try fields[7].asBytes("data"),
                accessList: try fields[8].asList("accessList").map { item throws(RLPError) in
                    try AccessListEntry(item: item)
                })
            yParity = try fields[9].asUInt64("yParity")
            r = try fields[10].asBigEndianInteger(maxBytes: 32, "r")
            s = try fields[11].asBigEndianInteger(maxBytes: 32, "s")
        } catch {
            throw LightClientError(.malformedTransaction, "EIP-1559 transaction does not decode", underlying: error)
        }
        guard yParity <= 1 else {
            throw LightClientError(.invalidSignature, "yParity \(yParity) is not 0 or 1")
        }
        let signature: RecoverableSignature
        do {
            signature = try RecoverableSignature(r: Self.leftPadded(r), s: Self.leftPadded(s), recoveryID: UInt8(yParity))
        } catch {
            throw LightClientError(.invalidSignature, "transaction signature is invalid", secp256k1: error)
        }
        try self.init(transaction: transaction, signature: signature)
        // Strict RLP decoding accepts only canonical encodings, so re-encoding reproduces the
        // input; checked anyway so `rawBytes` and `hash` can never describe other bytes.
        guard rawBytes == raw else {
            throw LightClientError(.malformedTransaction, "transaction does not re-encode to its input")
        }
    }

    /// `keccak256(rawBytes)`, the transaction hash nodes and explorers report.
    public var hash: [UInt8] { Keccak256.hash(rawBytes) }

    /// The signature's y parity (its recovery id, 0 or 1).
    public var yParity: UInt8 { signature.recoveryID }

    /// Recovers the sender's address from the signature over the signing hash.
    /// - Throws: ``LightClientError`` `.invalidSignature` if no key can be recovered.
    public func recoverSender() throws(LightClientError) -> EthereumAddress {
        do {
            return EthereumAddress(publicKey: try PublicKey(recoveringFrom: signature, hash: transaction.signingHash))
        } catch {
            throw LightClientError(.invalidSignature, "sender cannot be recovered", secp256k1: error)
        }
    }

    private static func checkEthereumForm(_ signature: RecoverableSignature) throws(LightClientError) {
        guard signature.recoveryID <= 1 else {
            throw LightClientError(.invalidSignature, "recovery id \(signature.recoveryID) is not 0 or 1")
        }
        guard signature.isLowS else {
            throw LightClientError(.invalidSignature, "s is in the upper half of the group order (EIP-2)")
        }
    }

    private static func quantity(_ item: RLPItem, _ what: String) throws(RLPError) -> Quantity {
        let bytes = try item.asBigEndianInteger(maxBytes: Quantity.maximumByteCount, what)
        // asBigEndianInteger returned at most 32 minimal bytes, which Quantity always accepts.
        return (try? Quantity(bigEndian: bytes)) ?? .zero
    }

    private static func leftPadded(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: 32 - bytes.count) + bytes
    }
}
