public import Ledger
public import Telemetry
import Synchronization

/// A JSON-RPC 2.0 client over ``HTTPClient``.
///
/// Each call sends one request object with a fresh numeric id and checks the answer: a JSON
/// object with `"jsonrpc": "2.0"`, the same id and exactly one of `result` and `error`. A
/// JSON-RPC error object becomes ``LedgerError`` `.rejected` with the node's message, reduced to
/// printable ASCII and truncated (``maximumMessageLength``), so a node cannot inject control
/// characters or megabytes of text into logs.
public final class JSONRPCClient: Sendable {
    /// The longest node error message kept, in characters.
    public static let maximumMessageLength = 160

    /// The transport.
    public let http: HTTPClient
    private let nextID = Atomic<Int>(1)
    private let parser: JSONParser

    /// Creates a client for `endpoint`.
    public init(endpoint: HTTPEndpoint, timeouts: HTTPClient.Timeouts = HTTPClient.Timeouts(),
                maximumResponseBytes: Int = HTTPClient.defaultMaximumResponseBytes) {
        http = HTTPClient(endpoint: endpoint, timeouts: timeouts, maximumResponseBytes: maximumResponseBytes)
        parser = JSONParser(maxBytes: maximumResponseBytes, maxDepth: 32)
    }

    /// A JSON-RPC answer: a result or an error object.
    enum Outcome: Sendable {
        case result(JSONValue)
        case error(code: Int, message: String)
    }

    /// Calls `method` with positional `params` and returns its `result`.
    /// - Throws: ``LedgerError`` `.unavailable` (transport, HTTP 5xx/429), `.malformedResponse`
    ///   (not a matching JSON-RPC response), `.rejected` (a JSON-RPC error object; the reason
    ///   carries the sanitised message and code).
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
        let response = try http.post(JSONWriter.canonicalBytes(request))
        let document: JSONValue
        do {
            document = try parser.parse(response.body)
        } catch {
            if response.status == 429 || (500...599).contains(response.status) {
                throw LedgerError(code: .unavailable, reason: "\(method): the node answered HTTP \(response.status)")
            }
            throw LedgerError(code: .malformedResponse,
                              reason: "\(method): HTTP \(response.status) with a body that is not JSON (\(error))")
        }
        guard document["jsonrpc"]?.stringValue == "2.0" else {
            if response.status != 200 {
                throw LedgerError(code: (500...599).contains(response.status) || response.status == 429
                                  ? .unavailable : .malformedResponse,
                                  reason: "\(method): the node answered HTTP \(response.status)")
            }
            throw LedgerError(code: .malformedResponse, reason: "\(method): not a JSON-RPC 2.0 response")
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
