import HTTP
public import Ledger
public import Telemetry
import Synchronization
import Threading

/// A JSON-RPC 2.0 client over HTTP or HTTPS, on the `HTTP` target's libcurl client.
///
/// Each call sends one request object with a fresh numeric id and checks the answer: a JSON
/// object with `"jsonrpc": "2.0"`, the same id and exactly one of `result` and `error`. A
/// JSON-RPC error object becomes ``LedgerError`` `.rejected` with the node's message, reduced to
/// printable ASCII and truncated (``maximumMessageLength``), so a node cannot inject control
/// characters or megabytes of text into logs.
///
/// The transport is one kept-alive connection, reused across calls; libcurl opens a new one when
/// the node closed it, and sends a request once more on a fresh connection when a reused one
/// broke before any answer arrived. Calls are serialised. `https://` verifies the node's
/// certificate against ``Transport/caFile`` (or the system's CAs) and may present a client
/// certificate (mutual TLS). The usual proxy variables apply (`https_proxy`, `http_proxy`,
/// `all_proxy`, `no_proxy`, as libcurl reads them); redirects are not followed.
public final class JSONRPCClient: Sendable {
    /// How the client reaches the node, besides its URL: TLS files, time limits, the answer cap.
    public struct Transport: Sendable, Hashable {
        /// The default answer limit: 16 MiB.
        public static let defaultMaximumResponseBytes = 16 << 20

        /// A PEM bundle of the CAs that may sign the node's certificate (`https://` only); nil: the
        /// system's CAs.
        public var caFile: String?
        /// The client certificate (PEM) for mutual TLS; set together with ``keyFile``.
        public var certificateFile: String?
        /// The client certificate's private key (PEM).
        public var keyFile: String?
        /// Establishing the connection, TCP and TLS.
        public var connectTimeout: Duration
        /// One whole call: connecting, sending the request and receiving the complete answer.
        public var requestTimeout: Duration
        /// The largest answer accepted, in bytes.
        public var maximumResponseBytes: Int

        /// Creates transport settings (defaults: the system's CAs, no client certificate, connect
        /// 3 s, a whole call 20 s, 16 MiB).
        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
                    connectTimeout: Duration = .seconds(3), requestTimeout: Duration = .seconds(20),
                    maximumResponseBytes: Int = Transport.defaultMaximumResponseBytes) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maximumResponseBytes = maximumResponseBytes
        }

        /// Whether a file for TLS is set (they need an `https://` endpoint).
        public var usesTLSFiles: Bool { caFile != nil || certificateFile != nil || keyFile != nil }
    }

    /// The longest node error message kept, in characters.
    public static let maximumMessageLength = 160

    /// Where calls go.
    public let endpoint: HTTPEndpoint
    /// TLS files, time limits and the answer cap.
    public let transport: Transport
    private let http: SerialHTTPClient
    private let nextID = Atomic<Int>(1)
    private let parser: JSONParser

    /// Creates a client for `endpoint`; nothing is sent until the first call. The first client
    /// in a process loads libcurl.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` when libcurl cannot be loaded.
    public init(endpoint: HTTPEndpoint, transport: Transport = Transport()) throws(LedgerError) {
        self.endpoint = endpoint
        self.transport = transport
        let options = HTTPClient.Options(
            caFile: transport.caFile, certificateFile: transport.certificateFile, keyFile: transport.keyFile,
            connectTimeoutMs: max(1, Int(clamping: transport.connectTimeout.wholeMilliseconds)),
            timeoutMs: max(1, Int(clamping: transport.requestTimeout.wholeMilliseconds)),
            maximumResponseBytes: transport.maximumResponseBytes, userAgent: "VitalGate-EVMLedger")
        do {
            http = SerialHTTPClient(try HTTPClient(options: options))
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "the JSON-RPC client cannot start", underlying: error)
        }
        parser = JSONParser(maxBytes: transport.maximumResponseBytes, maxDepth: 32)
    }

    /// How many connections the client has opened so far (to observe keep-alive reuse).
    public var openedConnectionCount: Int { http.connectionsOpened }

    /// A JSON-RPC answer: a result or an error object.
    enum Outcome: Sendable {
        case result(JSONValue)
        case error(code: Int, message: String)
    }

    /// Calls `method` with positional `params` and returns its `result`.
    /// - Throws: ``LedgerError``: `.unavailable` (unreachable, timed out, connection lost, HTTP
    ///   5xx/429), `.tls` (handshake or certificates), `.malformedResponse` (not a matching
    ///   JSON-RPC response, too large, another HTTP status without one), `.rejected` (a JSON-RPC
    ///   error object; the reason carries the sanitised message and code). Transport failures
    ///   carry the `HTTPError` as their underlying error; no reason repeats the URL.
    public func call(_ method: String, _ params: [JSONValue] = []) throws(LedgerError) -> JSONValue {
        switch try outcome(method, params) {
        case .result(let value):
            return value
        case .error(let code, let message):
            throw LedgerError(code: .rejected, reason: "\(method) rejected by the node: \(message) (code \(code))")
        }
    }

    /// Calls `method` and returns the result or the JSON-RPC error, for callers that react to
    /// specific node errors (e.g. "already known").
    func outcome(_ method: String, _ params: [JSONValue]) throws(LedgerError) -> Outcome {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let request = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .number(Double(id))), ("method", .string(method)),
            ("params", .array(params)),
        ])
        let response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(method: "POST", url: endpoint.url, headers: Self.headers,
                                                 body: JSONWriter.canonicalBytes(request)))
        } catch {
            throw transportError(error, method: method)
        }
        let document: JSONValue
        do {
            document = try parser.parse(response.body)
        } catch {
            throw Self.statusError(response.status, method: method)
                ?? LedgerError(code: .malformedResponse, reason: "\(method): HTTP 200 with a body that is not JSON (\(error))")
        }
        guard document["jsonrpc"]?.stringValue == "2.0" else {
            throw Self.statusError(response.status, method: method)
                ?? LedgerError(code: .malformedResponse, reason: "\(method): not a JSON-RPC 2.0 response")
        }
        guard document["id"]?.numberValue == Double(id) else {
            throw LedgerError(code: .malformedResponse, reason: "\(method): response id does not match the request")
        }
        let result = document["result"]
        let error = document["error"]
        switch (result, error) {
        case (let result?, nil):
            return .result(result)
        case (nil, let error?):
            guard let code = error["code"]?.numberValue, code == code.rounded(), abs(code) < 1e15 else {
                throw LedgerError(code: .malformedResponse, reason: "\(method): malformed JSON-RPC error object")
            }
            let message = Self.sanitise(error["message"]?.stringValue ?? "")
            return .error(code: Int(code), message: message)
        default:
            throw LedgerError(code: .malformedResponse,
                              reason: "\(method): a JSON-RPC response needs exactly one of result and error")
        }
    }

    private static let headers = [("Content-Type", "application/json"), ("Accept", "application/json")]

    /// The error for an answer with HTTP `status` and no JSON-RPC response in it; nil for 200.
    /// 429 and 5xx mean "try later"; another status is not what a JSON-RPC node answers.
    static func statusError(_ status: Int, method: String) -> LedgerError? {
        guard status != 200 else { return nil }
        let busy = status == 429 || (500...599).contains(status)
        let note = (300...399).contains(status) ? " (redirects are not followed: configure the URL it points to)" : ""
        return LedgerError(code: busy ? .unavailable : .malformedResponse,
                           reason: "\(method): the node answered HTTP \(status)\(note)")
    }

    /// The error for a call that got no complete answer: what failed, with the `HTTPError`
    /// (libcurl's account) underneath. Neither names the URL.
    func transportError(_ error: HTTPError, method: String) -> LedgerError {
        let code: LedgerError.Code
        let what: String
        switch error.code {
        case .unreachable:
            (code, what) = (.unavailable, "cannot reach the node")
        case .timeout:
            let limits = "connect \(transport.connectTimeout.wholeMilliseconds) ms, "
                + "call \(transport.requestTimeout.wholeMilliseconds) ms"
            (code, what) = (.unavailable, "no complete answer in time (limits: \(limits))")
        case .connectionLost:
            (code, what) = (.unavailable, "the connection to the node broke before a complete answer")
        case .tls:
            (code, what) = (.tls, "TLS with the node failed (check the CA bundle, the client certificate and key)")
        case .responseTooLarge:
            (code, what) = (.malformedResponse, "the answer exceeds \(transport.maximumResponseBytes) bytes")
        case .configuration:
            (code, what) = (.invalidConfiguration, "the transport settings are unusable")
        default:
            (code, what) = (.unavailable, "the HTTP client failed")
        }
        return LedgerError(code: code, reason: "\(method): \(what)", underlying: error)
    }

    /// Printable ASCII only (others become `?`), at most ``maximumMessageLength`` characters.
    static func sanitise(_ message: String) -> String {
        var out = ""
        for scalar in message.unicodeScalars {
            if out.count >= maximumMessageLength {
                out += "…"
                break
            }
            out.unicodeScalars.append((0x20...0x7E).contains(scalar.value) ? scalar : "?")
        }
        return out
    }
}

/// One libcurl client used by one call at a time.
private final class SerialHTTPClient: @unchecked Sendable {
    // @unchecked Sendable is safe: `client` (a libcurl easy handle, which two threads must not use
    // at once) is touched only inside `lock.withLock` and never leaves this object.
    private let lock = PThreadLock()
    private let client: HTTPClient

    init(_ client: HTTPClient) { self.client = client }

    func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        try lock.withLock { () throws(HTTPError) -> HTTPResponse in try client.send(request) }
    }

    var connectionsOpened: Int { lock.withLock { client.connectionsOpened } }
}
