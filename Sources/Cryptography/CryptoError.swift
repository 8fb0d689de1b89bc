/// The one error type thrown by the `Cryptography` module.
///
/// A `CryptoError` carries a machine-readable ``code``, a short human-readable ``reason``,
/// the text of OpenSSL's thread-local error queue at the time of the failure (empty for
/// errors detected by this module before calling OpenSSL) and the source location inside
/// this module where the failure was detected.
///
/// Descriptions never contain key material, plaintext or other caller-supplied bytes; only
/// lengths, operation names and OpenSSL's own error strings.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure happened. An extensible set of codes: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidKeyLength
            case invalidNonceLength
            case invalidLength
            case authenticationFailure
            case openSSLFailure
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A key had the wrong number of bytes for the algorithm.
        public static let invalidKeyLength = Code(.invalidKeyLength)
        /// A nonce had the wrong number of bytes for the algorithm.
        public static let invalidNonceLength = Code(.invalidNonceLength)
        /// Some other input (a tag, a combined sealed box, an encoded key) had a bad length.
        public static let invalidLength = Code(.invalidLength)
        /// AEAD decryption failed: the tag does not match the nonce, ciphertext and
        /// associated data under this key. The data was tampered with or the key is wrong.
        public static let authenticationFailure = Code(.authenticationFailure)
        /// An OpenSSL call reported failure; see ``CryptoError/openSSLErrors``.
        public static let openSSLFailure = Code(.openSSLFailure)

        public var description: String {
            switch base {
            case .invalidKeyLength: "invalidKeyLength"
            case .invalidNonceLength: "invalidNonceLength"
            case .invalidLength: "invalidLength"
            case .authenticationFailure: "authenticationFailure"
            case .openSSLFailure: "openSSLFailure"
            }
        }
    }

    /// What kind of failure happened.
    public let code: Code
    /// A short explanation, e.g. the failing OpenSSL function or the expected length.
    public let reason: String
    /// OpenSSL's error queue, drained at the time of the failure, entries joined by "; ".
    /// Empty when the error was detected before calling OpenSSL.
    public let openSSLErrors: String
    /// The `#fileID` of the place in this module that detected the failure.
    public let file: String
    /// The `#line` of the place in this module that detected the failure.
    public let line: Int

    /// Creates an error. For ``Code/openSSLFailure``, pass the drained queue as `openSSLErrors`.
    public init(code: Code, reason: String, openSSLErrors: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.openSSLErrors = openSSLErrors
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "CryptoError.\(code): \(reason)"
        if !openSSLErrors.isEmpty {
            text += " [OpenSSL: \(openSSLErrors)]"
        }
        return text + " (at \(file):\(line))"
    }
}
