/// Where the HTTP server listens: `HOST:PORT`, with an IPv6 literal in brackets (`[::1]:9180`).
/// Port 0 asks the system for a free port (tests, `demo`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A host name or an address literal, without brackets.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`; `nil` if it is neither.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !portPart.isEmpty, portPart.allSatisfy(\.isASCII), let port = UInt16(portPart) else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// `HOST:PORT`, brackets around an IPv6 literal.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether the host is a loopback name or address (`localhost`, 127.0.0.0/8, `::1`): only
    /// this host's processes can connect.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

extension ListenAddress {
    /// A port no process listens on at `host` now (the system's choice for port 0), for a child
    /// process that must be told its port in advance. Another process may take it meanwhile.
    public static func freePort(host: String) throws(HTTPServerError) -> UInt16 {
        let (fd, port) = try ListeningSocket.open(ListenAddress(host: host, port: 0))
        ListeningSocket.close(fd)
        return port
    }
}
