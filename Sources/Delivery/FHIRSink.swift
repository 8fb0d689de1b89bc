import FoundationEssentials
public import HTTP
import Telemetry
import Threading
public import Vault

/// Delivers the outbox to a FHIR R4 server as transaction Bundles of conditional creates
/// (``FHIRTransaction``): a batch counts as delivered when the server answered 200 with a
/// `transaction-response` whose every entry is `200 OK` (it existed) or `201 Created`.
///
/// - Once at the receiver: every resource is created under a deterministic identifier with
///   `ifNoneExist`, so a Bundle sent again after a lost answer or a crash creates nothing new.
/// - Pipelined: a delivery of many records goes as several Bundles of `bundleRecords`, each
///   posted on a thread of its own while the next part is read from the vault and its Bundle
///   built, so the server is kept busy.
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
    /// Records per Bundle at most.
    public let bundleRecords: Int
    /// Posts one Bundle while the next is built.
    private let poster = HandOffThread(name: "vitalgate-fhir")

    /// A sink posting to `baseURL` (`http://` or `https://`) with `credentials` and the HTTP
    /// client `options` (CA bundle, client certificate, timeouts).
    /// - Throws: ``DeliveryError`` `.configuration` for another scheme.
    public init(name: String = "fhir", baseURL: String, mapping: FHIRMapping, credentials: FHIRCredentials = .none,
                options: HTTPClient.Options = HTTPClient.Options(), bundleRecords: Int = 100) throws(DeliveryError) {
        let lower = baseURL.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw DeliveryError(.configuration, "the FHIR base URL must start with http:// or https://")
        }
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.mapping = mapping
        self.bundleRecords = max(1, bundleRecords)
        authorizer = FHIRAuthorizer(credentials)
        do {
            client = try HTTPClient(options: options)
        } catch {
            throw DeliveryError(.configuration, "cannot set up the HTTP client: \(error.reason)")
        }
    }

    deinit { poster.stop() }

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

    /// A transaction Bundle creating each of `resources` unless it exists (`export --fhir bundle`).
    public static func transactionBundle(resources: [FHIRResource]) -> [UInt8] {
        FHIRTransaction(resources: resources).body
    }

    /// Takes a delivery a Bundle at a time (``DeliverySink/partRecords``).
    public var partRecords: Int? { bundleRecords }

    public func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt {
        var parts = stride(from: 0, to: entries.count, by: bundleRecords).map {
            Array(entries[$0..<min($0 + bundleRecords, entries.count)])
        }.makeIterator()
        return try deliver(first: parts.next() ?? [], next: { parts.next() })
    }

    public func deliver(first: [OutboxEntry], next: () -> [OutboxEntry]?) throws(DeliveryError) -> DeliveryReceipt {
        var records = 0
        var dead: [(recordID: Int64, reason: String)] = []
        for (part, reason) in try postPipelined(first: first, next: next, records: &records) {
            try settle(part[...], refusedWith: reason, deadLetters: &dead)
        }
        if records >= 8, dead.count == records {
            throw DeliveryError(.rejected, "the server refused each of \(records) records (check its profiles and the base URL)")
        }
        return DeliveryReceipt(deadLetters: dead)
    }

    /// What the server did with one transaction.
    private enum Outcome {
        case confirmed
        /// Refused with this reason (the server's OperationOutcome).
        case refused(String)
    }

    /// Posts each part's Bundle in order on the poster thread; meanwhile this thread takes the
    /// next part (`next` reads it from the vault), builds its Bundle and reads the previous
    /// answer. Stops at the first failure (what went before is confirmed, and sent again with
    /// the delivery it belongs to: conditional creates make that harmless). Returns the parts
    /// the server refused, with its reason, to be settled; counts the records in `records`.
    private func postPipelined(first: [OutboxEntry], next: () -> [OutboxEntry]?, records: inout Int)
        throws(DeliveryError) -> [(part: [OutboxEntry], reason: String)] {
        final class Answer { var result: Result<HTTPResponse?, DeliveryError>? }
        func submit(_ transaction: FHIRTransaction) -> Answer {
            let answer = Answer()
            poster.submit { [self] in
                do throws(DeliveryError) { answer.result = .success(try exchange(transaction)) } catch {
                    answer.result = .failure(error)
                }
            }
            return answer
        }
        var refused: [(part: [OutboxEntry], reason: String)] = []
        var part = first
        var current = FHIRTransaction(first[...], mapping: mapping)
        records = first.count
        var answer = submit(current)
        while true {
            let following = next()
            let transaction = following.map { FHIRTransaction($0[...], mapping: mapping) }
            poster.wait()
            let result = answer.result
            let answered = current, answeredPart = part
            // The next goes at once unless this one failed in a way that fails the delivery.
            let goesOn = if case .success(let response) = result { Self.continuesBatch(response) } else { false }
            if let following, let transaction, goesOn {
                part = following
                current = transaction
                records += following.count
                answer = submit(transaction)
            }
            do throws(DeliveryError) {
                switch result {
                case .success(let response):
                    if case .refused(let reason) = try outcome(of: response, for: answered) {
                        refused.append((answeredPart, reason))
                    }
                case .failure(let error): throw error
                case nil: throw DeliveryError(.unavailable, "the upload thread gave no answer")
                }
            } catch {
                poster.wait()  // an upload already under way is left to finish
                throw error
            }
            guard following != nil, goesOn else { return refused }
        }
    }

    /// Whether the batch goes on after this answer: confirmed, refused (settled afterwards), or
    /// nothing was sent.
    private static func continuesBatch(_ response: HTTPResponse?) -> Bool {
        guard let status = response?.status else { return true }
        return [200, 201].contains(status) || refusalStatuses.contains(status)
    }

    /// The statuses with which a server refuses the content of a transaction.
    private static let refusalStatuses: Set<Int> = [400, 409, 412, 413, 422]

    /// Finds the records of a refused `slice`: halves it and posts each half, down to the
    /// record refused alone, which becomes a dead letter with the server's reason.
    private func settle(_ slice: ArraySlice<OutboxEntry>, refusedWith reason: String,
                        deadLetters: inout [(recordID: Int64, reason: String)]) throws(DeliveryError) {
        guard slice.count > 1 else {
            deadLetters.append((slice[slice.startIndex].id, reason))
            return
        }
        let middle = slice.startIndex + slice.count / 2
        for half in [slice[..<middle], slice[middle...]] {
            if case .refused(let reason) = try post(FHIRTransaction(half, mapping: mapping)) {
                try settle(half, refusedWith: reason, deadLetters: &deadLetters)
            }
        }
    }

    private func post(_ transaction: FHIRTransaction) throws(DeliveryError) -> Outcome {
        try outcome(of: try exchange(transaction), for: transaction)
    }

    /// Sends `transaction` (once more with fresh credentials after a 401) and returns the
    /// server's answer; nil for an empty transaction, which is not sent.
    private func exchange(_ transaction: FHIRTransaction) throws(DeliveryError) -> HTTPResponse? {
        guard transaction.entryCount > 0 else { return nil }
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
            guard response.status == 401, !renewedCredentials else { return response }
            renewedCredentials = true  // a token expired early, or was rotated on disk: once more, fresh
            authorizer.invalidate()
        }
    }

    /// What the answer says: confirmed (200 with a transaction-response confirming every
    /// entry), refused, or an error to retry after.
    private func outcome(of response: HTTPResponse?, for transaction: FHIRTransaction) throws(DeliveryError) -> Outcome {
        guard let response else { return .confirmed }
        guard response.status == 200 || response.status == 201 else { return try outcome(ofFailed: response) }
        if let problem = transaction.problem(withResponse: response.body) {
            throw DeliveryError(.malformedResponse, problem)
        }
        return .confirmed
    }

    /// The outcome of an answer other than success: a refusal to halve, or the error to retry after.
    private func outcome(ofFailed response: HTTPResponse) throws(DeliveryError) -> Outcome {
        let status = response.status
        switch status {
        case _ where Self.refusalStatuses.contains(status):
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
