import FoundationEssentials
import HTTP
import Telemetry

/// How the gateway authenticates to a FHIR server. Secrets live in files the operator
/// provisions (mode 0600), never in the configuration itself.
public enum FHIRCredentials: Sendable {
    /// No `Authorization` header (mutual TLS may still identify the gateway).
    case none
    /// `Authorization: Bearer <the file's content>`; the file is read again after a 401, so a
    /// token rotated on disk is picked up without a restart.
    case bearerTokenFile(String)
    /// OAuth2 client credentials (RFC 6749 §4.4): the client id, its secret from a file, an
    /// optional scope; tokens are cached until shortly before they expire and renewed on a 401.
    case oauth2(tokenURL: String, clientID: String, secretFile: String, scope: String?)
}

/// Produces the `Authorization` header of each request from ``FHIRCredentials``, caching
/// what it can. Used from the delivery worker's thread only.
final class FHIRAuthorizer {
    let credentials: FHIRCredentials
    private var cached: (header: String, expiresAtMs: Int64)?
    /// Tokens requested from the OAuth2 endpoint so far.
    private(set) var tokenRequests = 0

    init(_ credentials: FHIRCredentials) { self.credentials = credentials }

    /// Forgets the cached token (the server answered 401).
    func invalidate() { cached = nil }

    /// The header value, or nil for none.
    /// - Throws: ``DeliveryError`` `.configuration` (an unreadable secret file),
    ///   `.unauthorized` (the token endpoint refused), `.unavailable` (it cannot be reached).
    func header(using client: HTTPClient, nowMs: Int64) throws(DeliveryError) -> String? {
        if let cached, cached.expiresAtMs > nowMs { return cached.header }
        switch credentials {
        case .none:
            return nil
        case .bearerTokenFile(let path):
            let header = "Bearer " + (try Self.secret(path, what: "bearer token"))
            cached = (header, .max)
            return header
        case .oauth2(let tokenURL, let clientID, let secretFile, let scope):
            let secret = try Self.secret(secretFile, what: "OAuth2 client secret")
            let (token, lifetimeS) = try requestToken(client, url: tokenURL, clientID: clientID, secret: secret, scope: scope)
            // Renew a little early: a tenth of the lifetime, at most a minute.
            let margin = min(60_000, lifetimeS * 100)
            cached = ("Bearer " + token, nowMs + lifetimeS * 1000 - margin)
            return cached?.header
        }
    }

    private func requestToken(_ client: HTTPClient, url: String, clientID: String, secret: String,
                              scope: String?) throws(DeliveryError) -> (token: String, lifetimeS: Int64) {
        tokenRequests += 1
        var form = "grant_type=client_credentials"
        if let scope { form += "&scope=" + Self.formEncoded(scope) }
        let basic = Base64.encode(Array("\(Self.formEncoded(clientID)):\(Self.formEncoded(secret))".utf8))
        let response: HTTPResponse
        do {
            response = try client.send(HTTPRequest(method: "POST", url: url, headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                ("Authorization", "Basic " + basic),
            ], body: Array(form.utf8)))
        } catch {
            throw DeliveryError(.unavailable, "the OAuth2 token endpoint cannot be reached (\(error.code))")
        }
        let answer = try? JSONParser().parse(response.body)
        guard response.status == 200 else {
            let reason = answer?["error"]?.stringValue.map { " \($0.prefix(60))" } ?? ""
            let code: DeliveryError.Code = response.status >= 500 || response.status == 429 ? .unavailable : .unauthorized
            throw DeliveryError(code, "the OAuth2 token endpoint answered \(response.status)\(reason)")
        }
        guard let token = answer?["access_token"]?.stringValue, !token.isEmpty else {
            throw DeliveryError(.malformedResponse, "the OAuth2 token endpoint's answer has no access_token")
        }
        let lifetime = answer?["expires_in"]?.numberValue.map { Int64(max(1, min($0, 86_400))) } ?? 300
        return (token, lifetime)
    }

    /// A secret file's content without its trailing line end.
    private static func secret(_ path: String, what: String) throws(DeliveryError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeliveryError(.configuration, "cannot read the \(what) file \(path) (check the path and its permissions)")
        }
        let text = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !text.isEmpty else { throw DeliveryError(.configuration, "the \(what) file \(path) is empty") }
        return text
    }

    /// `application/x-www-form-urlencoded` (RFC 6749 Appendix B, for client ids and secrets too).
    static func formEncoded(_ text: String) -> String {
        PercentEncoding.encode(text, keeping: "-._*", spaceAsPlus: true)
    }
}
