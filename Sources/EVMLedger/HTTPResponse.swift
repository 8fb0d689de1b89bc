/// An HTTP/1.1 response as ``HTTPClient`` returns it.
public struct HTTPResponse: Sendable, Hashable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields in order; names lower-cased, values trimmed.
    public var headers: [HeaderField]
    /// The body (de-chunked).
    public var body: [UInt8]

    /// One header field.
    public struct HeaderField: Sendable, Hashable {
        /// The lower-cased name.
        public var name: String
        /// The value without surrounding whitespace.
        public var value: String
    }

    /// Creates a response.
    public init(status: Int, headers: [HeaderField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}
