/// One HTTP request: method, absolute URL, headers and body.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`…
    public var method: String
    /// The absolute URL (`http://` or `https://`).
    public var url: String
    /// Header fields, in order (`Content-Length` and `Host` are set by the client).
    public var headers: [(name: String, value: String)]
    /// The body; empty for none.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response, whatever its status.
public struct HTTPResponse: Sendable {
    /// The status code (200, 429…).
    public var status: Int
    /// Header fields of the final response, in order, names as received.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header field called `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
