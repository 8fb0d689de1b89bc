import CEvent
#if canImport(Glibc)
import Glibc
#endif

/// Opens the listening socket itself (libevent's own bind reports only "failed"), so that a
/// port in use, a forbidden port and an address of no interface each get their own error.
enum ListeningSocket {
    /// A non-blocking, close-on-exec socket listening on `address`, and the port it got.
    static func open(_ address: ListenAddress) throws(HTTPServerError) -> (fd: Int32, port: UInt16) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, "\(address.port)", &hints, &list)
        guard resolved == 0, let first = list else {
            throw HTTPServerError(code: .address, reason: "cannot listen on \(address): the host is not an address of this machine "
                                  + "(\(String(cString: gai_strerror(resolved))))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw failure(address, "socket", errno) }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw failure(address, "bind", code)
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &bound) { storage in
            _ = storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            switch Int32(storage.pointee.ss_family) {
            case AF_INET: return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6: return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default: return address.port
            }
        }
        return (fd, port)
    }

    /// Closes a socket `open` returned (one not handed to libevent).
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    private static func failure(_ address: ListenAddress, _ step: String, _ code: Int32) -> HTTPServerError {
        let text = String(cString: strerror(code))
        switch code {
        case EADDRINUSE:
            return HTTPServerError(code: .inUse, reason: "cannot listen on \(address): another process listens there "
                                   + "(choose another address with [http] listen or --http, or turn it off with --http off)")
        case EACCES, EPERM:
            return HTTPServerError(code: .permission, reason: "cannot listen on \(address): \(text) "
                                   + "(ports below 1024 need privileges the agent should not have: use a port above 1023)")
        case EADDRNOTAVAIL:
            return HTTPServerError(code: .address, reason: "cannot listen on \(address): no interface of this machine has that address")
        default:
            return HTTPServerError(code: .failed, reason: "cannot listen on \(address): \(step) failed: \(text)")
        }
    }
}
