/// The one error type thrown by the `Secp256k1` module.
///
/// Carries a stable ``code``, a short ``reason`` and the call site inside this module that
/// detected the failure. Descriptions never contain key material, signatures or hashes: only
/// lengths, operation names and which check failed.
public struct Secp256k1Error: Error, Sendable, CustomStringConvertible {
    /// What went wrong. An extensible set of codes; compare with the static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code name.
        public var rawValue: String
        /// Creates a code; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code name.
        public var description: String { rawValue }

        /// A private key is not 32 bytes, or is zero or not below the group order n.
        public static let invalidPrivateKey = Code(rawValue: "invalidPrivateKey")
        /// A public key has the wrong length or prefix, or is not a point on the curve.
        public static let invalidPublicKey = Code(rawValue: "invalidPublicKey")
        /// A signature has the wrong length, `r` or `s` is zero or not below n, or the recovery
        /// id is out of range.
        public static let invalidSignature = Code(rawValue: "invalidSignature")
        /// A message hash is not exactly 32 bytes.
        public static let invalidHashLength = Code(rawValue: "invalidHashLength")
        /// No public key can be recovered from this signature and hash.
        public static let recoveryFailed = Code(rawValue: "recoveryFailed")
        /// libsecp256k1 refused to sign (not expected for a validated key).
        public static let signingFailed = Code(rawValue: "signingFailed")
    }

    /// What went wrong.
    public var code: Code
    /// A short explanation without key material or other secret or caller-supplied bytes.
    public var reason: String
    /// The `#fileID` of the place in this module that detected the failure.
    public var file: String
    /// The `#line` of the place in this module that detected the failure.
    public var line: Int

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Code, reason and call site.
    public var description: String {
        "Secp256k1Error.\(code): \(reason) (\(file):\(line))"
    }
}
