public import ErrorSupport

/// The error domain of the HTTP client.
public enum HTTPErrorDomain: ErrorDomain {
    public static let errorName = "HTTPError"
}

/// Why an HTTP exchange failed before a response arrived: a code a caller can act on (retry,
/// fix the configuration), a reason naming the step and libcurl's result, and the call site.
/// A response with any status is not an error.
public typealias HTTPError = ModuleError<HTTPErrorDomain>

extension ErrorCode<HTTPError> {
    /// The host could not be resolved or connected to (also a proxy).
    public static var unreachable: Self { Self("unreachable") }
    /// The exchange took longer than its limit (connect or whole request).
    public static var timeout: Self { Self("timeout") }
    /// The TLS handshake failed, or the peer's certificate did not verify, or a client
    /// certificate or key could not be used.
    public static var tls: Self { Self("tls") }
    /// The connection broke while the request or the response was under way (a response cut
    /// short, or nothing at all).
    public static var connectionLost: Self { Self("connectionLost") }
    /// The response body is larger than the client accepts.
    public static var responseTooLarge: Self { Self("responseTooLarge") }
    /// The URL, a file or an option is wrong (unsupported scheme, unreadable CA bundle).
    public static var configuration: Self { Self("configuration") }
    /// libcurl failed in another way (out of memory, an internal error).
    public static var failed: Self { Self("failed") }
}
