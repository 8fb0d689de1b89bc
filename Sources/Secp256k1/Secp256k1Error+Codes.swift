public import ErrorSupport

/// The codes of ``Secp256k1Error``.
extension ErrorCode<Secp256k1Error> {
    /// A private key is not 32 bytes, or is zero or not below the group order n.
    public static var invalidPrivateKey: Self { Self("invalidPrivateKey") }
    /// A public key has the wrong length or prefix, or is not a point on the curve.
    public static var invalidPublicKey: Self { Self("invalidPublicKey") }
    /// A signature has the wrong length, `r` or `s` is zero or not below n, or the recovery
    /// id is out of range.
    public static var invalidSignature: Self { Self("invalidSignature") }
    /// A message hash is not exactly 32 bytes.
    public static var invalidHashLength: Self { Self("invalidHashLength") }
    /// No public key can be recovered from this signature and hash.
    public static var recoveryFailed: Self { Self("recoveryFailed") }
    /// libsecp256k1 refused to sign (not expected for a validated key).
    public static var signingFailed: Self { Self("signingFailed") }
}
