public import ErrorSupport
import Secp256k1

extension ErrorCode<LightClientError> {
    /// An address is not 20 bytes, is not hex, or fails its EIP-55 checksum.
    public static var invalidAddress: Self { Self("invalidAddress") }
    /// A signature does not parse, is not allowed here (high s, recovery id not 0/1), or no
    /// key can be recovered from it.
    public static var invalidSignature: Self { Self("invalidSignature") }
    /// A transaction does not decode or a field is out of range.
    public static var malformedTransaction: Self { Self("malformedTransaction") }
    /// A typed transaction of a type this client does not handle.
    public static var unsupportedTransactionType: Self { Self("unsupportedTransactionType") }
    /// Signing failed (for example, a hash that is not 32 bytes).
    public static var signingFailed: Self { Self("signingFailed") }
    /// A pinned validator set is empty or lists an address twice.
    public static var invalidValidatorSet: Self { Self("invalidValidatorSet") }
    /// Two committed seals of one header recover to the same validator.
    public static var duplicateSeal: Self { Self("duplicateSeal") }
    /// A committed seal recovers to an address outside the pinned validator set.
    public static var sealByNonValidator: Self { Self("sealByNonValidator") }
    /// Fewer distinct validators sealed the header than the quorum requires.
    public static var insufficientSeals: Self { Self("insufficientSeals") }
}

extension LightClientError {
    /// Wraps a `Secp256k1Error`, keeping its code in the reason (it carries no key material).
    init(_ code: Code, _ reason: String, secp256k1 error: Secp256k1Error,
         file: String = #fileID, line: Int = #line) {
        self.init(code, "\(reason) (\(error.code): \(error.reason))", file: file, line: line)
    }
}
