internal import COpenSSL

/// HMAC-SHA256 (RFC 2104, FIPS 198-1) over libcrypto's SHA-256 (``HMACSHA256Key``).
///
/// Used for keyed pseudonyms: the same key and message always give the same 32-byte code,
/// and without the key the code reveals nothing about the message.
public enum HMACSHA256 {
    /// The length of an HMAC-SHA256 code: 32 bytes.
    public static let byteCount = 32

    /// Computes the HMAC-SHA256 of `message` under `key` (any length; keys longer than the
    /// 64-byte block are hashed first, as the standard says).
    ///
    /// Traps only if OpenSSL itself fails (memory exhaustion, missing default provider).
    public static func authenticationCode(key: [UInt8], message: some Sequence<UInt8>) -> [UInt8] {
        HMACSHA256Key(key: key).authenticationCode(Array(message))
    }
}
