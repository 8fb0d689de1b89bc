@testable import EVMLedger
import Foundation
import Ledger
import Telemetry
import Testing

/// The HTTP/1.1 and JSON-RPC clients against a scripted in-test server.
@Suite(.serialized) struct HTTPClientTests {
    func client(_ server: TestHTTPServer, read: Duration = .seconds(5), maximum: Int = 1 << 20) -> HTTPClient {
        HTTPClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: server.port, path: "/rpc"),
                   timeouts: .init(connect: .seconds(2), write: .seconds(2), read: read), maximumResponseBytes: maximum)
    }

    @Test func contentLengthResponsesReuseOneConnection() throws {
        let server = try TestHTTPServer { index, _ in .respond(TestHTTPServer.response("{\"n\":\(index)}")) }
        defer { server.stop() }
        let http = client(server)
        for index in 0..<5 {
            let response = try http.post(Array("{}".utf8))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "{\"n\":\(index)}")
            #expect(response.header("content-type") == "application/json")
        }
        #expect(http.openedConnectionCount == 1)
        #expect(server.connectionCount == 1)
    }

    @Test func chunkedResponsesAreReassembled() throws {
        let body = "{\"result\":\"" + String(repeating: "0123456789abcdef", count: 500) + "\"}"
        let server = try TestHTTPServer { index, _ in .respond(TestHTTPServer.chunked(body, size: index == 0 ? 7 : 4096)) }
        defer { server.stop() }
        let http = client(server)
        #expect(String(decoding: try http.post([]).body, as: UTF8.self) == body)
        #expect(String(decoding: try http.post([]).body, as: UTF8.self) == body)
        #expect(http.openedConnectionCount == 1)
    }

    @Test func parserAcceptsResponsesFedByteByByte() throws {
        let body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}"
        for bytes in [TestHTTPServer.response(body), TestHTTPServer.chunked(body, size: 5),
                      Array("HTTP/1.1 100 Continue\r\n\r\n".utf8) + TestHTTPServer.response(body)] {
            var parser = HTTPResponseParser(maximumBodyBytes: 1024)
            var complete = false
            for (index, byte) in bytes.enumerated() {
                complete = try parser.feed([byte])
                #expect(complete == (index == bytes.count - 1))
            }
            #expect(parser.response.status == 200)
            #expect(String(decoding: parser.response.body, as: UTF8.self) == body)
        }
    }

    @Test func parserRejectsMalformedResponses() {
        let cases: [String] = [
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 abc OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
            "HTTP/1.1 200 OK\r\n bad header\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
        ]
        for text in cases {
            var parser = HTTPResponseParser(maximumBodyBytes: 1024)
            #expect(throws: HTTPResponseParser.Failure.self, "\(text.debugDescription)") { _ = try parser.feed(Array(text.utf8)) }
        }
    }

    @Test func closedConnectionsAreReopened() throws {
        // Every response says "Connection: close" or the server just drops the idle connection.
        let server = try TestHTTPServer { index, _ in
            .respond(TestHTTPServer.response("{}", headers: index % 2 == 0 ? ["Connection: close"] : []), close: true)
        }
        defer { server.stop() }
        let http = client(server)
        for _ in 0..<4 {
            #expect(try http.post([]).status == 200)
            usleep(20_000)
        }
        #expect(server.connectionCount == 4)
        #expect(http.openedConnectionCount == 4)
    }

    @Test func aDroppedKeptAliveConnectionIsRetriedOnce() throws {
        // The server answers the first request, then closes the next one on arrival without a word.
        let server = try TestHTTPServer { index, _ in
            index == 1 ? .close : .respond(TestHTTPServer.response("{\"n\":\(index)}"))
        }
        defer { server.stop() }
        let http = client(server)
        #expect(try http.post([]).status == 200)
        let second = try http.post([])
        #expect(String(decoding: second.body, as: UTF8.self) == "{\"n\":2}")
        #expect(http.openedConnectionCount == 2)
    }

    @Test func silentServerTimesOutAsUnavailable() throws {
        let server = try TestHTTPServer { _, _ in .stall(seconds: 3) }
        defer { server.stop() }
        let http = client(server, read: .milliseconds(300))
        let start = Date()
        expectLedgerError(.unavailable) { () throws(LedgerError) in try http.post([]) }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.25 && elapsed < 2, "took \(elapsed) s")
    }

    @Test func oversizedResponsesAreMalformed() throws {
        let big = String(repeating: "x", count: 5000)
        let server = try TestHTTPServer { index, _ in
            .respond(index == 0 ? TestHTTPServer.response(big) : TestHTTPServer.chunked(big, size: 1000))
        }
        defer { server.stop() }
        let http = client(server, maximum: 4096)
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try http.post([]) }
        expectLedgerError(.malformedResponse) { () throws(LedgerError) in try http.post([]) }
    }

    @Test func nothingListeningIsUnavailableQuickly() throws {
        // Bind a port, then close it so nothing listens there.
        let server = try TestHTTPServer { _, _ in .close }
        let port = server.port
        server.stop()
        let http = HTTPClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port))
        let start = Date()
        expectLedgerError(.unavailable) { () throws(LedgerError) in try http.post([]) }
        #expect(Date().timeIntervalSince(start) < 2)
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
        let rpc = JSONRPCClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: server.port))
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
}
