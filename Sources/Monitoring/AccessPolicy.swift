public import HTTPServer
import Telemetry

/// Who may read the HTTP endpoints. On a loopback address anyone on the gateway may (the
/// default); on any other address a user name and password are required (HTTP Basic), as the
/// status page shows beds and their alerts.
public enum AccessPolicy: Sendable {
    /// No credentials needed (loopback only: the agent refuses `open` on another address).
    case open
    /// HTTP Basic with this user and password.
    case basic(user: String, password: String)

    /// Whether `request` may be answered.
    public func permits(_ request: HTTPServerRequest) -> Bool {
        guard case .basic(let user, let password) = self else { return true }
        guard let header = request.header("Authorization"), header.count < 1024 else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let decoded = Base64.decode(String(parts[1])) else {
            return false
        }
        let expected = Array("\(user):\(password)".utf8)
        return Self.constantTimeEqual(decoded, expected)
    }

    /// The 401 response that asks a browser for credentials.
    public static let challenge = HTTPServerResponse(
        status: 401, contentType: "text/plain; charset=utf-8", text: "credentials required\n",
        headers: [("WWW-Authenticate", "Basic realm=\"VitalGate\", charset=\"UTF-8\"")])

    /// Compares without stopping at the first difference (the time does not tell how much of a
    /// guess was right; only the length may show).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
