public import Ledger

/// Where a JSON-RPC node listens: `http://host[:port][/path]` or `https://host[:port][/path]`.
///
/// Over `https://` the node's certificate is verified against a CA bundle (the system's, or
/// ``JSONRPCClient/Transport/caFile``) and the client may present a certificate of its own
/// (mutual TLS). Plain `http://` suits a node on the same host or a trusted private network: the
/// backend verifies what the node serves against hashes, and finality against something the node
/// cannot forge (``FinalityGate``), so a tampering network can withhold or delay anchoring but
/// not make it report a forged anchor; under single-node confirmations it can.
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The URL scheme.
    public enum Scheme: String, Sendable, Hashable {
        /// Plain HTTP.
        case http
        /// HTTP over TLS.
        case https
    }

    /// `http` or `https`.
    public let scheme: Scheme
    /// Host name or IP address (IPv6 without brackets).
    public let host: String
    /// TCP port (when the URL has none: 8545, the usual JSON-RPC port, for `http`; 443 for `https`).
    public let port: UInt16
    /// Request path, starting with `/`.
    public let path: String

    /// Creates an endpoint from its parts.
    public init(scheme: Scheme = .http, host: String, port: UInt16, path: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// Parses `http(s)://host[:port][/path]`.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` for another scheme, a missing host, a bad
    ///   port, user info, a query or a fragment. The reason never repeats the URL.
    public init(url text: String) throws(LedgerError) {
        func invalid(_ reason: String) -> LedgerError {
            LedgerError(code: .invalidConfiguration, reason: "endpoint: \(reason)")
        }
        let lower = text.lowercased()
        let scheme: Scheme
        if lower.hasPrefix("http://") {
            scheme = .http
        } else if lower.hasPrefix("https://") {
            scheme = .https
        } else {
            throw invalid("expected an http:// or https:// URL")
        }
        let rest = text.dropFirst(scheme.rawValue.count + 3)
        guard !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else {
            throw invalid("user info, query and fragment are not supported")
        }
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = "/"
        }
        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 literal") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("junk after the IPv6 literal") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, host.allSatisfy({ !$0.isWhitespace }) else { throw invalid("missing host") }
        var port: UInt16 = scheme == .https ? 443 : 8545
        if let portText {
            guard let parsed = UInt16(portText), parsed > 0 else { throw invalid("bad port") }
            port = parsed
        }
        guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { throw invalid("bad path") }
        self.init(scheme: scheme, host: String(host), port: port, path: String(path))
    }

    /// The whole URL, `scheme://host:port/path`, as the client requests it. Hosted nodes often
    /// carry an API key in the path: log ``description`` instead.
    public var url: String { "\(origin)\(path)" }

    /// `scheme://host:port/`, or `scheme://host:port/…` when there is a longer path: the path is
    /// left out because hosted nodes put API keys there.
    public var description: String { path == "/" ? "\(origin)/" : "\(origin)/…" }

    /// `scheme://host:port`.
    private var origin: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme.rawValue)://\(shownHost):\(port)"
    }
}
