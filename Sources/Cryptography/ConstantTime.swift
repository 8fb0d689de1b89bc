internal import COpenSSL

/// Compares two byte arrays in time that depends only on their length, not on where they
/// differ (OpenSSL's `CRYPTO_memcmp`). Use it for MACs, tags and other secrets.
///
/// Returns `false` when the lengths differ (lengths are not secret); two empty arrays are equal.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { left in
        b.withUnsafeBytes { right in
            CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
        }
    }
}
