public import Ledger

/// Where a JSON-RPC node listens: `http://host[:port][/path]`.
///
/// Only plain HTTP is supported. Use it for a node on the same host or a trusted private network;
/// `https://` is rejected (TLS to a remote node is not yet supported). The backend verifies what
/// the node serves, so a tampering network cannot make it report a forged anchor, but it can
/// withhold or delay anchoring.
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address (IPv6 without brackets).
    public let host: String
    /// TCP port (default 8545, the usual JSON-RPC port, when the URL has none).
    public let port: UInt16
    /// Request path, starting with `/`.
    public let path: String

    /// Creates an endpoint from its parts.
    public init(host: String, port: UInt16, path: String = "/") {
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// Parses `http://host[:port][/path]`.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` for another scheme (including `https`),
    ///   a missing host, a bad port, user info, a query or a fragment.
    public init(url text: String) throws(LedgerError) {
        func invalid(_ reason: String) -> LedgerError {
            LedgerError(code: .invalidConfiguration, reason: "endpoint: \(reason)")
        }
        let lower = text.lowercased()
        if lower.hasPrefix("https://") {
            throw invalid("https is not yet supported; use http:// to a local or private node")
        }
        guard lower.hasPrefix("http://") else { throw invalid("expected an http:// URL") }
        let rest = text.dropFirst("http://".count)
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
        var port: UInt16 = 8545
        if let portText {
            guard let parsed = UInt16(portText), parsed > 0 else { throw invalid("bad port") }
            port = parsed
        }
        guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { throw invalid("bad path") }
        self.init(host: String(host), port: port, path: String(path))
    }

    /// `http://host:port/path`.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)\(path)"
    }

    /// The value of the `Host` request header.
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port)"
    }
}
