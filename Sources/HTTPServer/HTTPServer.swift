import CEvent
import Synchronization
import Threading
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on libevent's evhttp, for the agent's read-only endpoints
/// (`/metrics`, `/healthz`, `/readyz`, the status page): GET and HEAD only, no request body,
/// one thread ("vitalgate-http") that runs the event loop and calls the handler.
///
/// The handler runs on that thread, one request at a time, and must be quick: it renders from
/// a snapshot the agent's threads keep up to date, never from the pipeline itself.
///
/// ```swift
/// let server = try HTTPServer(listen: ListenAddress(host: "127.0.0.1", port: 0)) { request in
///     HTTPServerResponse(status: 200, contentType: "text/plain", text: "ok\n")
/// }
/// defer { server.stop() }
/// print(server.address)  // 127.0.0.1:<the port the system chose>
/// ```
public final class HTTPServer: Sendable {
    /// Answers one request (called on the server's thread).
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    /// The address it listens on, with the port the system chose for port 0.
    public let address: ListenAddress
    private let loop: EventLoop
    private let stopped = Atomic<Bool>(false)

    /// Listens on `listen` and starts the server's thread.
    /// - Throws: ``HTTPServerError`` `.inUse`, `.permission` or `.address` (each names the
    ///   address and the fix), `.failed` if libevent cannot be set up.
    public init(listen: ListenAddress, limits: Limits = Limits(), handler: @escaping Handler) throws(HTTPServerError) {
        // A client that goes away while its response is written must not stop the process:
        // libevent writes with writev, which raises SIGPIPE on a closed connection.
        signal(SIGPIPE, SIG_IGN)
        let (fd, port) = try ListeningSocket.open(listen)
        address = ListenAddress(host: listen.host, port: port)
        loop = try EventLoop(fd: fd, limits: limits, handler: handler, address: address)
        WorkerThread.start(name: "vitalgate-http") { [loop] in loop.run() }
    }

    /// What the server accepts from a client.
    public struct Limits: Sendable {
        /// Seconds a connection may take to send its request or read the response.
        public var timeoutSeconds: Int32 = 10
        /// Bytes of request line and headers.
        public var maxHeaderBytes = 8192

        public init() {}
    }

    deinit { stop() }

    /// Closes the listening socket and open connections, and waits for the thread to end
    /// (within ~100 ms). Safe to call more than once.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        loop.stop()
    }
}

/// libevent's state, owned by the server's thread.
private final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable is safe: the pointers are created on the caller's thread before the
    // server's thread starts (pthread_create orders the two) and used only on that thread
    // afterwards; the stop flag is atomic and `done` is a semaphore.
    let base: OpaquePointer
    let http: OpaquePointer
    var timer: OpaquePointer?
    let handler: HTTPServer.Handler
    /// Responses sent since freed memory was last handed back, and the tick count then.
    var answeredSinceRelease = 0
    var ticks = 0
    let stopFlag = Atomic<Bool>(false)
    let done = PThreadSemaphore()

    init(fd: Int32, limits: HTTPServer.Limits, handler: @escaping HTTPServer.Handler, address: ListenAddress) throws(HTTPServerError) {
        guard let base = event_base_new() else {
            close(fd)
            throw HTTPServerError(code: .failed, reason: "cannot serve on \(address): libevent's event base cannot be created")
        }
        guard let http = evhttp_new(base) else {
            close(fd)
            event_base_free(base)
            throw HTTPServerError(code: .failed, reason: "cannot serve on \(address): libevent's HTTP server cannot be created")
        }
        self.base = base
        self.http = http
        self.handler = handler
        evhttp_set_allowed_methods(http, UInt16(EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_HEAD.rawValue))
        evhttp_set_timeout(http, limits.timeoutSeconds)
        evhttp_set_max_headers_size(http, Int(limits.maxHeaderBytes))
        evhttp_set_max_body_size(http, 0)
        let context = Unmanaged.passUnretained(self).toOpaque()
        evhttp_set_gencb(http, { request, context in
            guard let request, let context else { return }
            Unmanaged<EventLoop>.fromOpaque(context).takeUnretainedValue().answer(request)
        }, context)
        // Frees the socket with the server (libevent's listener closes it).
        guard evhttp_accept_socket_with_handle(http, fd) != nil else {
            close(fd)
            evhttp_free(http)
            event_base_free(base)
            throw HTTPServerError(code: .failed, reason: "cannot serve on \(address): libevent cannot accept on the socket")
        }
        // The loop checks the stop flag ten times a second (event_base_loopbreak is not safe
        // from another thread unless libevent's locking is set up, which nothing else needs).
        timer = event_new(base, -1, Int16(EV_PERSIST), { _, _, context in
            guard let context else { return }
            let loop = Unmanaged<EventLoop>.fromOpaque(context).takeUnretainedValue()
            if loop.stopFlag.load(ordering: .relaxed) { event_base_loopbreak(loop.base) }
            loop.releaseMemoryIfDue()
        }, context)
        var interval = timeval(tv_sec: 0, tv_usec: 100_000)
        if let timer { event_add(timer, &interval) }
    }

    /// The server's thread: the event loop until stopped, then the teardown.
    func run() {
        event_base_dispatch(base)
        if let timer { event_free(timer) }
        evhttp_free(http)
        event_base_free(base)
        done.signal()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }

    /// A response (a status page, the metrics) is built and freed on this thread, in its own
    /// malloc arena, whose freed pages glibc keeps unless asked: at most once a second after
    /// answering, they go back to the kernel (DECISIONS 33, 37).
    func releaseMemoryIfDue() {
        ticks += 1
        guard answeredSinceRelease > 0, ticks >= 10 else { return }
        MallocTuning.releaseFreedMemory()
        answeredSinceRelease = 0
        ticks = 0
    }

    /// Calls the handler and sends its response.
    func answer(_ request: OpaquePointer) {
        let method = evhttp_request_get_command(request) == EVHTTP_REQ_HEAD ? "HEAD" : "GET"
        let uri = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        let (path, query) = Self.split(uri)
        var headers: [(name: String, value: String)] = []
        var entry = evhttp_request_get_input_headers(request)?.pointee.tqh_first
        while let current = entry {
            if let key = current.pointee.key, let value = current.pointee.value {
                headers.append((String(cString: key), String(cString: value)))
            }
            entry = current.pointee.next.tqe_next
        }
        let response = handler(HTTPServerRequest(method: method, path: path, query: query, headers: headers))
        let output = evhttp_request_get_output_headers(request)
        for (name, value) in response.headers { evhttp_add_header(output, name, value) }
        guard let buffer = evbuffer_new() else {
            evhttp_send_error(request, 500, nil)
            return
        }
        defer { evbuffer_free(buffer) }
        if method == "HEAD" {
            // The length a GET would have, and no body (libevent 2.1 would send it).
            evhttp_add_header(output, "Content-Length", "\(response.body.count)")
        } else {
            _ = response.body.withUnsafeBytes { evbuffer_add(buffer, $0.baseAddress, $0.count) }
        }
        evhttp_send_reply(request, Int32(response.status), Self.reason(response.status), buffer)
        answeredSinceRelease += 1
    }

    /// The path and the query of a request target (`/metrics?x=1`).
    static func split(_ uri: String) -> (path: String, query: String?) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
