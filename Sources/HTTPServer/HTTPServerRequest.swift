/// One request, as the handler sees it: the method, the path and query, and the headers.
/// The server accepts GET and HEAD only, with no body.
public struct HTTPServerRequest: Sendable {
    /// `GET` or `HEAD`.
    public var method: String
    /// The path, as sent (`/metrics`); not percent-decoded.
    public var path: String
    /// The query string without `?`, if any.
    public var query: String?
    /// The request's headers in order, names as sent.
    public var headers: [(name: String, value: String)]

    public init(method: String, path: String, query: String? = nil, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// A response: a status, headers and a body (the server adds `Content-Length` and `Date`).
public struct HTTPServerResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `text` (UTF-8) of type `contentType`.
    public init(status: Int, contentType: String, text: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: Array(text.utf8))
    }
}
