import FoundationEssentials
public import HTTP
import Telemetry
public import Vault

/// Delivers the outbox to a FHIR R4 server as transaction Bundles of conditional creates
/// (``FHIRTransaction``): a batch counts as delivered when the server answered 200 with a
/// `transaction-response` whose every entry is `200 OK` (it existed) or `201 Created`.
///
/// - Once at the receiver: every resource is created under a deterministic identifier with
///   `ifNoneExist`, so a Bundle sent again after a lost answer or a crash creates nothing new.
/// - Refused records: a transaction is all or nothing, so when the server refuses a Bundle
///   with an OperationOutcome (400, 409, 412, 422, 413) the sink halves it and tries each half,
///   down to the record it refuses alone, which becomes a dead letter with the server's reason.
///   A batch of eight or more in which every record is refused is a systematic refusal (a
///   profile the server enforces, a wrong endpoint): nothing is dead-lettered, the batch fails
///   with `.rejected` and is tried again after a backoff.
/// - Failures are typed: `.unavailable` (unreachable, connection lost, 408, 429, 5xx, with the
///   server's `Retry-After`), `.timeout`, `.tls`, `.redirect` (not followed), `.unauthorized`
///   (401 after a fresh token, 403), `.configuration` (404, 405, 415…: the base URL is wrong),
///   `.malformedResponse`.
///
/// Used from its delivery worker's thread only.
public final class FHIRSink: DeliverySink {
    public let name: String
    /// The server's base URL, without a trailing slash (transactions are POSTed to it).
    public let baseURL: String
    let mapping: FHIRMapping
    let client: HTTPClient
    let authorizer: FHIRAuthorizer

    /// A sink posting to `baseURL` (`http://` or `https://`) with `credentials` and the HTTP
    /// client `options` (CA bundle, client certificate, timeouts).
    /// - Throws: ``DeliveryError`` `.configuration` for another scheme.
    public init(name: String = "fhir", baseURL: String, mapping: FHIRMapping, credentials: FHIRCredentials = .none,
                options: HTTPClient.Options = HTTPClient.Options()) throws(DeliveryError) {
        let lower = baseURL.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw DeliveryError(.configuration, "the FHIR base URL must start with http:// or https://")
        }
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.mapping = mapping
        authorizer = FHIRAuthorizer(credentials)
        do {
            client = try HTTPClient(options: options)
        } catch {
            throw DeliveryError(.configuration, "cannot set up the HTTP client: \(error.reason)")
        }
    }

    /// Tokens requested from an OAuth2 endpoint so far.
    public var tokenRequests: Int { authorizer.tokenRequests }
    /// Connections opened to the server (and the token endpoint) so far.
    public var connectionsOpened: Int { client.connectionsOpened }

    public func isReady(_ pending: [OutboxEntry], now: Int64) -> Bool { true }

    /// The transaction Bundle this sink posts for `entries` (each record's resources, and its
    /// device's once, as conditional creates): for offline hand-off and the delivery benchmark.
    public static func transactionBundle(_ entries: [OutboxEntry], mapping: FHIRMapping) -> [UInt8] {
        FHIRTransaction(entries, mapping: mapping).body
    }

    public func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt {
        var dead: [(recordID: Int64, reason: String)] = []
        try deliver(entries[...], deadLetters: &dead)
        if entries.count >= 8, dead.count == entries.count {
            throw DeliveryError(.rejected, "the server refused each of \(entries.count) records (check its profiles and the base URL)")
        }
        return DeliveryReceipt(deadLetters: dead)
    }

    /// What the server did with one transaction.
    private enum Outcome {
        case confirmed
        /// Refused with this reason (the server's OperationOutcome).
        case refused(String)
    }

    private func deliver(_ slice: ArraySlice<OutboxEntry>, deadLetters: inout [(recordID: Int64, reason: String)])
        throws(DeliveryError) {
        switch try post(FHIRTransaction(slice, mapping: mapping)) {
        case .confirmed:
            return
        case .refused(let reason) where slice.count == 1:
            deadLetters.append((slice[slice.startIndex].id, reason))
        case .refused:
            let middle = slice.startIndex + slice.count / 2
            try deliver(slice[..<middle], deadLetters: &deadLetters)
            try deliver(slice[middle...], deadLetters: &deadLetters)
        }
    }

    private func post(_ transaction: FHIRTransaction) throws(DeliveryError) -> Outcome {
        guard transaction.entryCount > 0 else { return .confirmed }
        var renewedCredentials = false
        while true {
            var headers = [("Content-Type", "application/fhir+json"), ("Accept", "application/fhir+json")]
            if let authorization = try authorizer.header(using: client, nowMs: Self.wallMs()) {
                headers.append(("Authorization", authorization))
            }
            let response: HTTPResponse
            do {
                response = try client.send(HTTPRequest(method: "POST", url: baseURL, headers: headers, body: transaction.body))
            } catch {
                throw Self.deliveryError(error)
            }
            switch response.status {
            case 200, 201:
                if let problem = transaction.problem(withResponse: response.body) {
                    throw DeliveryError(.malformedResponse, problem)
                }
                return .confirmed
            case 401 where !renewedCredentials:
                renewedCredentials = true  // a token expired early, or was rotated on disk: once more, fresh
                authorizer.invalidate()
            default:
                return try outcome(ofFailed: response)
            }
        }
    }

    /// The outcome of an answer other than success: a refusal to halve, or the error to retry after.
    private func outcome(ofFailed response: HTTPResponse) throws(DeliveryError) -> Outcome {
        let status = response.status
        switch status {
        case 400, 409, 412, 413, 422:
            if let reason = OperationOutcomeReason(response.body) { return .refused("HTTP \(status): \(reason.text)") }
            if status == 413 { return .refused("HTTP 413: the server's size limit") }
            throw DeliveryError(.malformedResponse, "the server answered \(status) without an OperationOutcome")
        case 401, 403:
            throw DeliveryError(.unauthorized, "the server answered \(status): check the credentials")
        case 300..<400:
            throw DeliveryError(.redirect, "the server answered \(status) (redirects are not followed): "
                                + "configure the URL it points to\(response.header("Location").map { ", \($0.prefix(200))" } ?? "")")
        case 408, 429, 500...:
            throw DeliveryError(.unavailable, "the server answered \(status)",
                                retryAfterMs: RetryAfter.milliseconds(response.header("Retry-After"), nowMs: Self.wallMs()))
        default:
            throw DeliveryError(.configuration, "the server answered \(status) to a transaction: check the base URL \(baseURL)")
        }
    }

    static func deliveryError(_ error: HTTPError) -> DeliveryError {
        let code: DeliveryError.Code = switch error.code {
        case .timeout: .timeout
        case .tls: .tls
        case .configuration: .configuration
        case .responseTooLarge: .malformedResponse
        default: .unavailable
        }
        return DeliveryError(code, "the FHIR server: \(error.code): \(error.reason)")
    }

    static func wallMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// The reason an OperationOutcome gives: its first error issue's code, diagnostics and where
/// (shortened). Kept with the dead letter in the vault, shown by `egress status`; never logged,
/// since a server may quote the refused content.
struct OperationOutcomeReason {
    let text: String

    init?(_ body: [UInt8]) {
        guard let outcome = try? JSONParser(maxBytes: 1 << 20, maxDepth: 32).parse(body),
              outcome["resourceType"]?.stringValue == "OperationOutcome",
              let issues = outcome["issue"]?.arrayValue, !issues.isEmpty else { return nil }
        let issue = issues.first { ["error", "fatal"].contains($0["severity"]?.stringValue ?? "") } ?? issues[0]
        var text = issue["code"]?.stringValue ?? "unknown"
        if let diagnostics = issue["diagnostics"]?.stringValue { text += ": " + diagnostics.prefix(300) }
        if let expression = issue["expression"]?.arrayValue?.first?.stringValue { text += " (at \(expression.prefix(80)))" }
        self.text = text
    }
}
