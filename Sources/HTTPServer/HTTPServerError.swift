public import ErrorSupport

/// The error domain of the HTTP server.
public enum HTTPServerErrorDomain: ErrorDomain {
    public static let errorName = "HTTPServerError"
}

/// Why the HTTP server could not start: a code the caller maps to an exit status, and a reason
/// that names the address and the fix. Requests never raise errors: a bad request gets a 4xx.
public typealias HTTPServerError = ModuleError<HTTPServerErrorDomain>

extension ErrorCode<HTTPServerError> {
    /// The listen address is malformed, or names no interface of this host.
    public static var address: Self { Self("address") }
    /// Another process listens on the address.
    public static var inUse: Self { Self("inUse") }
    /// Listening there is not allowed (a port below 1024 without the capability).
    public static var permission: Self { Self("permission") }
    /// libevent or the system failed in another way (out of memory, descriptors).
    public static var failed: Self { Self("failed") }
}
