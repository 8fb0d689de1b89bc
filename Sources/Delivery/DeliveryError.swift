public import ErrorSupport

/// Why a delivery attempt failed. The reason names the sink's step (never record contents);
/// `retryAfterMs` carries a receiver's `Retry-After`.
public struct DeliveryError: CodedError {
    /// The code, a short reason, and the place that detected the failure.
    public let record: ErrorRecord<DeliveryError>
    /// How long the receiver asked to wait before the next attempt, if it did.
    public let retryAfterMs: Int?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, retryAfterMs: Int? = nil, file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.retryAfterMs = retryAfterMs
    }

    /// `delivery error (code): reason`.
    public var description: String { "delivery error (\(code)): \(reason)" }
}

/// The codes of ``DeliveryError``; each is counted on its own.
extension ErrorCode<DeliveryError> {
    /// The receiver cannot be reached, or refused for now: retry later.
    public static var unavailable: Self { Self("unavailable") }
    /// The receiver did not answer in time.
    public static var timeout: Self { Self("timeout") }
    /// The TLS handshake or certificate check failed.
    public static var tls: Self { Self("tls") }
    /// The receiver answered with a redirect, which is not followed.
    public static var redirect: Self { Self("redirect") }
    /// The receiver's answer is not what the protocol promises.
    public static var malformedResponse: Self { Self("malformedResponse") }
    /// Writing to local storage (a file sink's directory) failed.
    public static var storage: Self { Self("storage") }
    /// The sink is configured wrongly (a bad directory, URL or key).
    public static var configuration: Self { Self("configuration") }
    /// The receiver refused the credentials (401 or 403, or the OAuth2 token endpoint said no).
    public static var unauthorized: Self { Self("unauthorized") }
    /// The receiver refused every entry of a batch: a systematic refusal (a profile the server
    /// enforces, a wrong endpoint), not bad records, so nothing is dead-lettered.
    public static var rejected: Self { Self("rejected") }
    /// The receiver confirmed, but the disclosure could not be recorded: the cursor stays, so the
    /// records go again (the receivers hold them once) and their disclosure is recorded then.
    public static var disclosureNotRecorded: Self { Self("disclosureNotRecorded") }
}
