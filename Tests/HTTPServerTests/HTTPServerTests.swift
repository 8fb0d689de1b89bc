import Foundation
import HTTP
import HTTPServer
import Synchronization
import Testing

/// Issue 22, item 6: the HTTP server on libevent, exercised with a real client (libcurl) and
/// raw sockets.
@Suite struct HTTPServerTests {
    private func loopback() -> ListenAddress { ListenAddress(host: "127.0.0.1", port: 0) }

    @Test func aGetIsAnsweredWithTheHandlersResponseAndTheRequestAsSent() throws {
        let seen = Mutex<HTTPServerRequest?>(nil)
        let server = try HTTPServer(listen: loopback()) { request in
            seen.withLock { $0 = request }
            return HTTPServerResponse(status: 200, contentType: "text/plain", text: "hello \(request.path)\n",
                                      headers: [("X-Test", "yes")])
        }
        defer { server.stop() }
        #expect(server.address.port != 0)
        let client = try HTTPClient()
        let response = try client.send(HTTPRequest(method: "GET", url: "http://\(server.address)/metrics?x=1",
                                                   headers: [("Authorization", "Basic abc")]))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello /metrics\n")
        #expect(response.header("Content-Type") == "text/plain" && response.header("X-Test") == "yes")
        let request = try #require(seen.withLock { $0 })
        #expect(request.method == "GET" && request.path == "/metrics" && request.query == "x=1")
        #expect(request.header("authorization") == "Basic abc")
    }

    @Test func headGetsTheHeadersWithoutTheBodyAndOtherMethodsAreRefused() throws {
        let server = try HTTPServer(listen: loopback()) { _ in
            HTTPServerResponse(status: 200, contentType: "text/plain", text: String(repeating: "x", count: 1000))
        }
        defer { server.stop() }
        let head = try rawExchange(server.address, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.contains("Content-Length: 1000"))
        #expect(!head.contains("xxxx"))
        let post = try rawExchange(server.address, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab")
        #expect(post.hasPrefix("HTTP/1.1 501") || post.hasPrefix("HTTP/1.1 405") || post.hasPrefix("HTTP/1.1 413"), "\(post)")
    }

    @Test func aPortInUseIsRefusedWithItsOwnCodeAndTheFix() throws {
        let first = try HTTPServer(listen: loopback()) { _ in HTTPServerResponse(status: 204) }
        defer { first.stop() }
        #expect {
            _ = try HTTPServer(listen: first.address) { _ in HTTPServerResponse(status: 204) }
        } throws: { error in
            guard let error = error as? HTTPServerError else { return false }
            return error.code == .inUse && error.reason.contains("\(first.address)") && error.reason.contains("--http")
        }
    }

    @Test func anAddressOfNoInterfaceIsRefused() throws {
        for host in ["192.0.2.1", "no-such-host.invalid"] {  // TEST-NET-1: on no interface of a test machine
            #expect {
                _ = try HTTPServer(listen: ListenAddress(host: host, port: 0)) { _ in HTTPServerResponse(status: 204) }
            } throws: { error in
                (error as? HTTPServerError)?.code == .address
            }
        }
    }

    @Test func listenAddressesParseAndKnowLoopback() {
        #expect(ListenAddress("127.0.0.1:9180") == ListenAddress(host: "127.0.0.1", port: 9180))
        #expect(ListenAddress("[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress("[::1]:80")?.description == "[::1]:80")
        for bad in ["127.0.0.1", ":80", "host:", "host:99999", "::1:80", "[::1]80", "a:b:c"] { #expect(ListenAddress(bad) == nil) }
        #expect(ListenAddress("127.0.0.5:1")!.isLoopback && ListenAddress("localhost:1")!.isLoopback)
        #expect(ListenAddress("[::1]:1")!.isLoopback)
        #expect(!ListenAddress("0.0.0.0:1")!.isLoopback && !ListenAddress("192.168.1.2:1")!.isLoopback)
        #expect(!ListenAddress("127.evil.example:1")!.isLoopback)
    }

    @Test func aClientThatLeavesMidResponseDoesNotStopTheServer() throws {
        // 8 MiB does not fit in the socket buffers: the server is still writing when the client
        // closes, and the write fails with EPIPE (SIGPIPE would end the process).
        let big = [UInt8](repeating: 65, count: 8 << 20)
        let server = try HTTPServer(listen: loopback()) { request in
            request.path == "/big" ? HTTPServerResponse(status: 200, body: big) : HTTPServerResponse(status: 204)
        }
        defer { server.stop() }
        for _ in 0..<3 {
            let fd = try connectTo(server.address)
            let request = Array("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = read(fd, &buffer, buffer.count)
            close(fd)
        }
        Thread.sleep(forTimeInterval: 0.3)
        let response = try HTTPClient().send(HTTPRequest(method: "GET", url: "http://\(server.address)/small"))
        #expect(response.status == 204)
    }

    @Test func afterStopNothingListens() throws {
        let server = try HTTPServer(listen: loopback()) { _ in HTTPServerResponse(status: 204) }
        let address = server.address
        server.stop()
        server.stop()  // again: nothing happens
        #expect(throws: (any Error).self) { try connectTo(address) }
    }

    // MARK: Raw sockets

    private func connectTo(_ address: ListenAddress) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        sin.sin_addr.s_addr = inet_addr(address.host)
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    /// Sends `text` and reads until the server closes.
    private func rawExchange(_ address: ListenAddress, _ text: String) throws -> String {
        let fd = try connectTo(address)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
