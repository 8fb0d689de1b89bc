import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP server on 127.0.0.1 for client tests: each request (parsed up to its
/// Content-Length body) is answered by `handler`, one thread per connection.
final class TestHTTPServer: @unchecked Sendable {
    // @unchecked Sendable: the counters and request log are only touched under `lock`; the
    // listening descriptor is immutable after init.

    /// What to do with one request.
    enum Action: Sendable {
        /// Write these bytes; then close the connection when `close` is set.
        case respond([UInt8], close: Bool = false)
        /// Say nothing for this long, then close.
        case stall(seconds: Double)
        /// Close the connection without answering.
        case close
    }

    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (_ request: Int, _ body: [UInt8]) -> Action
    private let lock = NSLock()
    private var requests = 0
    private var connections = 0
    private(set) var bodies: [[UInt8]] = []

    init(handler: @escaping @Sendable (_ request: Int, _ body: [UInt8]) -> Action) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw TestServerError.cannotListen }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    enum TestServerError: Error { case cannotListen }

    var requestCount: Int { lock.withLock { requests } }
    var connectionCount: Int { lock.withLock { connections } }

    /// Stops listening. Only the accept thread closes the descriptor, so its number cannot be
    /// reused by another test's socket while that thread might still call `accept` on it.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            lock.withLock { connections += 1 }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var buffer: [UInt8] = []
        while true {
            // Read one request: head, then Content-Length bytes.
            var headEnd: Int?
            while headEnd == nil {
                if let end = Self.find(buffer) { headEnd = end; break }
                guard let chunk = Self.read(client) else { return }
                buffer += chunk
            }
            let head = String(decoding: buffer[..<headEnd!], as: UTF8.self).lowercased()
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let bodyStart = headEnd! + 4
            while buffer.count < bodyStart + length {
                guard let chunk = Self.read(client) else { return }
                buffer += chunk
            }
            let body = Array(buffer[bodyStart..<bodyStart + length])
            buffer.removeFirst(bodyStart + length)
            let index = lock.withLock { () -> Int in
                requests += 1
                bodies.append(body)
                return requests - 1
            }
            switch handler(index, body) {
            case .respond(let bytes, let closeAfter):
                var offset = 0
                while offset < bytes.count {
                    let sent = bytes.withUnsafeBytes { send(client, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
                    if sent < 0 && errno == EINTR { continue }
                    if sent <= 0 { return }
                    offset += sent
                }
                if closeAfter { return }
            case .stall(let seconds):
                Thread.sleep(forTimeInterval: seconds)
                return
            case .close:
                return
            }
        }
    }

    private static func read(_ fd: Int32) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Signals (SIGCHLD from other suites' child processes) interrupt recv: retry.
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            return Array(chunk[..<count])
        }
    }

    private static func find(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// A complete response with Content-Length.
    static func response(_ body: String, status: String = "200 OK", headers: [String] = []) -> [UInt8] {
        let bytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n"
        for header in headers { head += header + "\r\n" }
        return Array((head + "\r\n").utf8) + bytes
    }

    /// A chunked response splitting `body` into chunks of `size` bytes (with an extension and a trailer).
    static func chunked(_ body: String, size: Int) -> [UInt8] {
        var out = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let bytes = Array(body.utf8)
        var offset = 0
        while offset < bytes.count {
            let piece = bytes[offset..<min(offset + size, bytes.count)]
            out += Array((String(piece.count, radix: 16) + ";ext=1\r\n").utf8) + piece + Array("\r\n".utf8)
            offset += size
        }
        out += Array("0\r\nX-Trailer: yes\r\n\r\n".utf8)
        return out
    }

    /// The JSON-RPC id of a request body (the client writes canonical JSON: `"id":N`).
    static func rpcID(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard let range = text.range(of: "\"id\":") else { return "0" }
        return String(text[range.upperBound...].prefix { $0.isNumber })
    }
}
