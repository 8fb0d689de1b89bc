public import ErrorSupport

/// The codes of ``CryptoError``.
extension ErrorCode<CryptoError> {
    /// A key had the wrong number of bytes for the algorithm.
    public static var invalidKeyLength: Self { Self("invalidKeyLength") }
    /// A nonce had the wrong number of bytes for the algorithm.
    public static var invalidNonceLength: Self { Self("invalidNonceLength") }
    /// Some other input (a tag, a combined sealed box, an encoded key) had a bad length.
    public static var invalidLength: Self { Self("invalidLength") }
    /// AEAD decryption failed: the tag does not match the nonce, ciphertext and
    /// associated data under this key. The data was tampered with or the key is wrong.
    public static var authenticationFailure: Self { Self("authenticationFailure") }
    /// An OpenSSL call reported failure; see ``CryptoError/openSSLErrors``.
    public static var openSSLFailure: Self { Self("openSSLFailure") }
}
