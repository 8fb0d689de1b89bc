import Glibc

/// Holds a loopback TCP port while nothing serves it: a socket bound to it, not listening, and
/// without `SO_REUSEADDR`, so no other process (another test's broker picking a free port) can
/// bind it, while connections to it are refused as to a stopped server. Used by tests that stop
/// a server and start it again on the same port: without it, another test's server may take
/// the port meanwhile, and the client under test then talks to the wrong server.
public final class PortReservation {
    private var fd: Int32

    /// Binds 127.0.0.1:`port` (throws when something else holds it).
    public init(port: Int32) throws {
        // Close-on-exec: a child spawned meanwhile (the agent under test) must not keep the port.
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AgentWorkspaceError(reason: "socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound else {
            close(fd)
            throw AgentWorkspaceError(reason: "cannot reserve port \(port): \(String(cString: strerror(errno)))")
        }
    }

    /// Frees the port (for the server that comes back on it).
    public func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
