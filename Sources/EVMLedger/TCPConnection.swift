#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Ledger

/// One non-blocking TCP socket; every wait goes through `poll` with a deadline.
///
/// Not thread-safe: ``HTTPClient`` owns it under its lock.
final class TCPConnection {
    private(set) var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    func close() {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
    }

    /// Resolves `host` and connects to the first address that accepts within `timeoutMs`.
    static func connect(host: String, port: UInt16, timeoutMs: Int) throws(LedgerError) -> TCPConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw LedgerError(code: .unavailable, reason: "cannot resolve the node's host (getaddrinfo \(resolved))")
        }
        defer { freeaddrinfo(first) }
        let deadline = Deadline(afterMs: timeoutMs)
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            let connection = TCPConnection(descriptor: fd)
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return connection }
            guard errno == EINPROGRESS || errno == EINTR else { lastError = errno; continue }
            guard connection.wait(for: Int16(POLLOUT), deadline: deadline) else {
                throw LedgerError(code: .unavailable, reason: "connecting to the node timed out after \(timeoutMs) ms")
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError == 0 { return connection }
            lastError = socketError
        }
        throw LedgerError(code: .unavailable, reason: "cannot connect to the node (\(Self.describe(lastError)))")
    }

    /// A failed read or write.
    struct Failure: Error {
        enum Kind { case timeout, closed, failed }
        var kind: Kind
        var reason: String
        var ledgerError: LedgerError { LedgerError(code: .unavailable, reason: reason) }
    }

    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: [UInt8], deadline: Deadline) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0 && (code == EAGAIN || code == EWOULDBLOCK || code == EINTR) {
                guard wait(for: Int16(POLLOUT), deadline: deadline) else {
                    throw Failure(kind: .timeout, reason: "writing to the node timed out")
                }
                continue
            }
            let kind: Failure.Kind = code == EPIPE || code == ECONNRESET ? .closed : .failed
            throw Failure(kind: kind, reason: "writing to the node failed (\(Self.describe(code)))")
        }
    }

    /// Reads what is available (waiting until `deadline`); an empty result means end of stream.
    func read(maximum: Int, deadline: Deadline) throws(Failure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count >= 0 {
                buffer.removeLast(maximum - count)
                return buffer
            }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR {
                guard wait(for: Int16(POLLIN), deadline: deadline) else {
                    throw Failure(kind: .timeout, reason: "reading from the node timed out")
                }
                continue
            }
            if code == ECONNRESET { return [] }
            throw Failure(kind: .failed, reason: "reading from the node failed (\(Self.describe(code)))")
        }
    }

    /// True when an idle kept-alive connection is still usable: not readable (a readable idle
    /// socket means the peer closed it or sent something unsolicited) and without error.
    var isReusable: Bool {
        guard descriptor >= 0 else { return false }
        var pfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 0
    }

    /// Polls for `events` until `deadline`; false on timeout.
    private func wait(for events: Int16, deadline: Deadline) -> Bool {
        while true {
            let remaining = deadline.remainingMs
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: remaining))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }  // let the next call report the error
        }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)), errno \(code)"
    }
}

/// A point in monotonic time.
struct Deadline: Sendable {
    let nanoseconds: UInt64

    init(afterMs milliseconds: Int) {
        nanoseconds = Self.now() &+ UInt64(max(0, milliseconds)) &* 1_000_000
    }

    var remainingMs: Int {
        let now = Self.now()
        guard nanoseconds > now else { return 0 }
        return Int((nanoseconds - now + 999_999) / 1_000_000)
    }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
