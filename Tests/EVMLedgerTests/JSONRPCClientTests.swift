@testable import EVMLedger
import Foundation
import HTTP
import Ledger
import Telemetry
import Testing

/// The JSON-RPC client on the libcurl transport against a scripted in-test HTTP server: keep-alive,
/// reconnects, the one retry, limits, HTTP statuses, and typed errors that never name the URL.
@Suite(.serialized) struct JSONRPCClientTests {
    /// A secret in the path, as hosted nodes put API keys there: no error may repeat it.
    static let secretPath = "/v3/s3cr3t-api-key"

    func client(_ server: TestHTTPServer, request: Duration = .seconds(5), maximum: Int = 1 << 20) throws -> JSONRPCClient {
        try JSONRPCClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: server.port, path: Self.secretPath),
                          transport: .init(connectTimeout: .seconds(2), requestTimeout: request, maximumResponseBytes: maximum))
    }

    /// A server answering every call with `result` (or doing `action` for the request `index`).
    func server(_ action: @escaping @Sendable (_ index: Int, _ id: String) -> TestHTTPServer.Action? = { _, _ in nil })
        throws -> TestHTTPServer {
        try TestHTTPServer { index, body in
            let id = TestHTTPServer.rpcID(body)
            return action(index, id) ?? .respond(TestHTTPServer.response("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\(index)}"))
        }
    }

    @Test func callsReuseOneKeptAliveConnection() throws {
        let server = try server()
        defer { server.stop() }
        let rpc = try client(server)
        for index in 0..<5 {
            #expect(try rpc.call("eth_blockNumber") == .number(Double(index)))
        }
        #expect(rpc.openedConnectionCount == 1)
        #expect(server.connectionCount == 1)
    }

    @Test func chunkedAnswersAreReassembled() throws {
        let result = String(repeating: "0123456789abcdef", count: 500)
        let server = try server { index, id in
            .respond(TestHTTPServer.chunked("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\"\(result)\"}", size: index == 0 ? 7 : 4096))
        }
        defer { server.stop() }
        let rpc = try client(server)
        #expect(try rpc.call("debug_getRawHeader") == .string(result))
        #expect(try rpc.call("debug_getRawHeader") == .string(result))
        #expect(rpc.openedConnectionCount == 1)
    }

    @Test func closedConnectionsAreReopened() throws {
        // Every answer says "Connection: close", or the server just drops the connection after it.
        let server = try server { index, id in
            .respond(TestHTTPServer.response("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":1}",
                                             headers: index % 2 == 0 ? ["Connection: close"] : []), close: true)
        }
        defer { server.stop() }
        let rpc = try client(server)
        for _ in 0..<4 {
            #expect(try rpc.call("eth_chainId") == .number(1))
            usleep(20_000)
        }
        #expect(server.connectionCount == 4)
        #expect(rpc.openedConnectionCount == 4)
    }

    @Test func aDroppedKeptAliveConnectionIsRetriedOnce() throws {
        // The server answers the first call, then closes the next request on arrival without a word.
        let server = try server { index, _ in index == 1 ? .close : nil }
        defer { server.stop() }
        let rpc = try client(server)
        #expect(try rpc.call("eth_chainId") == .number(0))
        #expect(try rpc.call("eth_chainId") == .number(2))
        #expect(rpc.openedConnectionCount == 2)
    }

    @Test func aSilentServerTimesOutAsUnavailable() throws {
        let server = try server { _, _ in .stall(seconds: 3) }
        defer { server.stop() }
        let rpc = try client(server, request: .milliseconds(300))
        let start = Date()
        let error = expectTransportError(.unavailable, transport: .timeout) { () throws(LedgerError) in try rpc.call("eth_chainId") }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.25 && elapsed < 2, "took \(elapsed) s")
        #expect(error?.reason.hasPrefix("eth_chainId: ") == true)
        expectNoURL(error)
    }

    @Test func oversizedAnswersAreMalformed() throws {
        let big = String(repeating: "x", count: 5000)
        let server = try server { index, _ in
            .respond(index == 0 ? TestHTTPServer.response(big) : TestHTTPServer.chunked(big, size: 1000))
        }
        defer { server.stop() }
        let rpc = try client(server, maximum: 4096)
        for _ in 0..<2 {
            expectNoURL(expectTransportError(.malformedResponse, transport: .responseTooLarge) { () throws(LedgerError) in
                try rpc.call("eth_chainId")
            })
        }
    }

    @Test func nothingListeningIsUnavailableQuickly() throws {
        // Bind a port, then close it so nothing listens there.
        let server = try TestHTTPServer { _, _ in .close }
        let port = server.port
        server.stop()
        let rpc = try JSONRPCClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port, path: Self.secretPath))
        let start = Date()
        expectNoURL(expectTransportError(.unavailable, transport: .unreachable) { () throws(LedgerError) in
            try rpc.call("eth_chainId")
        })
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func httpStatusesWithoutAJSONRPCAnswer() throws {
        let statuses = ["503 Service Unavailable", "429 Too Many Requests", "404 Not Found", "301 Moved Permanently",
                        "401 Unauthorized"]
        let server = try server { index, _ in
            .respond(TestHTTPServer.response("no", status: statuses[index % statuses.count],
                                             headers: ["Location: https://elsewhere.example/v3/other-key"]))
        }
        defer { server.stop() }
        let rpc = try client(server)
        for (status, code) in zip(statuses, [LedgerError.Code.unavailable, .unavailable, .malformedResponse, .malformedResponse,
                                             .malformedResponse]) {
            do {
                _ = try rpc.call("eth_chainId")
                Issue.record("no error for \(status)")
            } catch {
                #expect(error.code == code, "\(status): \(error)")
                #expect(error.reason.contains("HTTP \(status.prefix(3))"), "\(error)")
                #expect(!"\(error)".contains("other-key"))
                expectNoURL(error)
            }
        }
        #expect(rpc.openedConnectionCount == 1)
    }

    // MARK: JSON-RPC

    @Test func jsonRPCResultsErrorsAndIDs() throws {
        let server = try TestHTTPServer { index, body in
            let id = TestHTTPServer.rpcID(body)
            switch index {
            case 0: return .respond(TestHTTPServer.response("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\"0x539\"}"))
            case 1: return .respond(TestHTTPServer.response(
                "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":{\"code\":-32000,\"message\":\"nonce too low\\u001b[2J\\n\"}}"))
            case 2: return .respond(TestHTTPServer.response("{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":1}"))
            case 3: return .respond(TestHTTPServer.response("{\"jsonrpc\":\"2.0\",\"id\":\(id)}"))
            case 4: return .respond(TestHTTPServer.response("not json"))
            case 5: return .respond(TestHTTPServer.response("busy", status: "503 Service Unavailable"))
            default: return .respond(TestHTTPServer.response(
                "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":null,\"error\":{\"code\":1,\"message\":\"x\"}}"))
            }
        }
        defer { server.stop() }
        let rpc = try JSONRPCClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: server.port))
        #expect(try rpc.call("eth_chainId") == .string("0x539"))
        do {
            _ = try rpc.call("eth_sendRawTransaction", [.string("0x02")])
            Issue.record("no error")
        } catch {
            #expect(error.code == .rejected)
            #expect(error.reason.contains("nonce too low?[2J?"))
            #expect(error.reason.contains("-32000"))
        }
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try rpc.call("eth_blockNumber") }
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try rpc.call("eth_blockNumber") }
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try rpc.call("eth_blockNumber") }
        expectLedgerError(.unavailable) { () throws(LedgerError) in try rpc.call("eth_blockNumber") }
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try rpc.call("eth_blockNumber") }
        // Requests are JSON-RPC 2.0 objects with increasing ids.
        let first = try JSONParser().parse(server.bodies[0])
        #expect(first["jsonrpc"] == .string("2.0"))
        #expect(first["method"] == .string("eth_chainId"))
        #expect(first["params"] == .array([]))
        #expect(try JSONParser().parse(server.bodies[1])["id"]!.numberValue! > first["id"]!.numberValue!)
    }

    /// No part of the URL's path (where hosted nodes keep API keys) in the error or beneath it.
    func expectNoURL(_ error: LedgerError?, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else { return }
        #expect(!"\(error)".contains("s3cr3t") && !"\(error)".contains("/v3/"), "\(error)", sourceLocation: sourceLocation)
    }
}
