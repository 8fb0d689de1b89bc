import Secp256k1

extension LightClientError.Code {
    /// An address is not 20 bytes, is not hex, or fails its EIP-55 checksum.
    public static let invalidAddress = Self(rawValue: "invalidAddress")
    /// A signature does not parse, is not allowed here (high s, recovery id not 0/1), or no
    /// key can be recovered from it.
    public static let invalidSignature = Self(rawValue: "invalidSignature")
    /// A transaction does not decode or a field is out of range.
    public static let malformedTransaction = Self(rawValue: "malformedTransaction")
    /// A typed transaction of a type this client does not handle.
    public static let unsupportedTransactionType = Self(rawValue: "unsupportedTransactionType")
    /// Signing failed (for example, a hash that is not 32 bytes).
    public static let signingFailed = Self(rawValue: "signingFailed")
    /// A pinned validator set is empty or lists an address twice.
    public static let invalidValidatorSet = Self(rawValue: "invalidValidatorSet")
    /// Two committed seals of one header recover to the same validator.
    public static let duplicateSeal = Self(rawValue: "duplicateSeal")
    /// A committed seal recovers to an address outside the pinned validator set.
    public static let sealByNonValidator = Self(rawValue: "sealByNonValidator")
    /// Fewer distinct validators sealed the header than the quorum requires.
    public static let insufficientSeals = Self(rawValue: "insufficientSeals")
}

extension LightClientError {
    /// Wraps a `Secp256k1Error`, keeping its code in the reason (it carries no key material).
    init(_ code: Code, _ reason: String, secp256k1 error: Secp256k1Error,
         file: String = #fileID, line: Int = #line) {
        self.init(code, "\(reason) (\(error.code): \(error.reason))", file: file, line: line)
    }
}
