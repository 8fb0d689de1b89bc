public import Ledger
import Threading

/// A minimal HTTP/1.1 client over POSIX sockets for talking JSON-RPC to a node.
///
/// - `http://` only (see ``HTTPEndpoint``); no TLS, no proxies, no redirects.
/// - One kept-alive connection, reused across requests and re-opened when the node closed it.
///   A request that fails on a *reused* connection before any response byte arrived is retried
///   once on a fresh connection (the node may have closed the idle connection meanwhile).
/// - Bodies with `Content-Length`, `chunked` transfer encoding or delimited by the end of the
///   connection; at most ``Timeouts`` per phase and ``maximumResponseBytes`` per body.
///
/// Requests are serialised: the client holds its connection under a lock for the whole exchange.
/// Errors are ``LedgerError`` `.unavailable` (connect, write, read, timeout, closed) or
/// `.malformedResponse` (not HTTP, too large).
public final class HTTPClient: @unchecked Sendable {
    // @unchecked Sendable is safe: the only mutable state, `connection`, is read and written
    // exclusively inside `lock.withLock`, and the TCPConnection it holds never escapes.

    /// Time limits, each applying to one phase of a request.
    public struct Timeouts: Sendable, Hashable {
        /// Establishing the TCP connection.
        public var connect: Duration
        /// Sending the whole request.
        public var write: Duration
        /// Receiving the whole response, from the end of the request.
        public var read: Duration

        /// Creates timeouts (defaults: connect 3 s, write 5 s, read 15 s).
        public init(connect: Duration = .seconds(3), write: Duration = .seconds(5), read: Duration = .seconds(15)) {
            self.connect = connect
            self.write = write
            self.read = read
        }
    }

    /// The default response body limit: 16 MiB.
    public static let defaultMaximumResponseBytes = 16 * 1024 * 1024

    /// Where requests go.
    public let endpoint: HTTPEndpoint
    /// The time limits.
    public let timeouts: Timeouts
    /// The largest accepted response body.
    public let maximumResponseBytes: Int

    private let lock = PThreadLock()
    private var connection: TCPConnection?
    private var connectionsOpened = 0

    /// Creates a client; nothing is connected until the first request.
    public init(endpoint: HTTPEndpoint, timeouts: Timeouts = Timeouts(),
                maximumResponseBytes: Int = HTTPClient.defaultMaximumResponseBytes) {
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// How many TCP connections the client has opened so far (to observe keep-alive reuse).
    public var openedConnectionCount: Int {
        lock.withLock { connectionsOpened }
    }

    /// Closes the kept-alive connection, if any.
    public func close() {
        lock.withLock {
            connection?.close()
            connection = nil
        }
    }

    /// Sends `POST endpoint.path` with `body` and returns the response, whatever its status.
    /// - Throws: ``LedgerError`` `.unavailable` or `.malformedResponse`.
    public func post(_ body: [UInt8], contentType: String = "application/json") throws(LedgerError) -> HTTPResponse {
        var head = "POST \(endpoint.path) HTTP/1.1\r\n"
        head += "Host: \(endpoint.hostHeader)\r\n"
        head += "User-Agent: VitalGate-EVMLedger\r\n"
        head += "Accept: application/json\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Connection: keep-alive\r\n\r\n"
        let request = Array(head.utf8) + body
        return try lock.withLock { () throws(LedgerError) -> HTTPResponse in
            if let existing = connection {
                if existing.isReusable {
                    do throws(ExchangeFailure) {
                        return try exchange(request, on: existing)
                    } catch {
                        // The node closed the idle connection before answering: retry once, fresh.
                        guard error.closedBeforeResponse else { throw error.error }
                    }
                } else {
                    existing.close()
                    connection = nil
                }
            }
            let fresh = try TCPConnection.connect(host: endpoint.host, port: endpoint.port,
                                                  timeoutMs: Self.milliseconds(timeouts.connect))
            connectionsOpened += 1
            do throws(ExchangeFailure) {
                return try exchange(request, on: fresh)
            } catch {
                throw error.error
            }
        }
    }

    /// A failed exchange; `closedBeforeResponse` when the connection was closed by the node
    /// before any byte of the response arrived (safe to retry on a fresh connection).
    private struct ExchangeFailure: Error {
        var error: LedgerError
        var closedBeforeResponse: Bool
    }

    /// One request/response on `connection`; keeps the connection for reuse when allowed.
    private func exchange(_ request: [UInt8], on connection: TCPConnection) throws(ExchangeFailure) -> HTTPResponse {
        self.connection = nil
        do throws(TCPConnection.Failure) {
            try connection.write(request, deadline: Deadline(afterMs: Self.milliseconds(timeouts.write)))
        } catch {
            connection.close()
            throw ExchangeFailure(error: error.ledgerError, closedBeforeResponse: error.kind == .closed)
        }
        let deadline = Deadline(afterMs: Self.milliseconds(timeouts.read))
        var parser = HTTPResponseParser(maximumBodyBytes: maximumResponseBytes)
        while true {
            let chunk: [UInt8]
            do throws(TCPConnection.Failure) {
                chunk = try connection.read(maximum: 64 * 1024, deadline: deadline)
            } catch {
                connection.close()
                throw ExchangeFailure(error: error.ledgerError, closedBeforeResponse: false)
            }
            if chunk.isEmpty {
                connection.close()
                if parser.hasReceivedNothing {
                    throw ExchangeFailure(
                        error: LedgerError(code: .unavailable, reason: "the node closed the connection without answering"),
                        closedBeforeResponse: true)
                }
                do throws(HTTPResponseParser.Failure) {
                    _ = try parser.finish()
                } catch {
                    throw ExchangeFailure(error: LedgerError(code: .unavailable, reason: error.reason),
                                          closedBeforeResponse: false)
                }
                return parser.response
            }
            do throws(HTTPResponseParser.Failure) {
                if try parser.feed(chunk) { break }
            } catch {
                connection.close()
                throw ExchangeFailure(
                    error: LedgerError(code: .malformedResponse, reason: "bad HTTP response: \(error.reason)"),
                    closedBeforeResponse: false)
            }
        }
        if parser.keepsConnectionOpen && parser.leftoverByteCount == 0 {
            self.connection = connection
        } else {
            connection.close()
        }
        return parser.response
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds) &* 1000 &+ Int(attoseconds / 1_000_000_000_000_000)
    }
}
