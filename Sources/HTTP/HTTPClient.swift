internal import CCurl

/// An HTTP/1.1 client on libcurl: `http://` and `https://` (a CA bundle, an optional client
/// certificate for mutual TLS), kept-alive connections, the usual proxy environment variables
/// (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`, as libcurl reads them), no redirects
/// followed (a 3xx is returned as a response).
///
/// One client is one libcurl easy handle and its connection cache: use it from one thread at a
/// time (each delivery worker owns its own). It is not `Sendable` for that reason.
public final class HTTPClient {
    /// How a client connects.
    public struct Options: Sendable {
        /// A PEM bundle of the CAs that may sign the server's certificate; `nil` uses the
        /// system's store.
        public var caFile: String?
        /// The client certificate (PEM) for mutual TLS.
        public var certificateFile: String?
        /// The client certificate's private key (PEM).
        public var keyFile: String?
        /// Establishing the connection (TCP and TLS), in milliseconds.
        public var connectTimeoutMs: Int
        /// The whole exchange, in milliseconds.
        public var timeoutMs: Int
        /// The largest response body accepted.
        public var maximumResponseBytes: Int
        /// The `User-Agent` header.
        public var userAgent: String

        /// Creates options (defaults: the system's CAs, connect 5 s, exchange 30 s, 16 MiB).
        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
                    connectTimeoutMs: Int = 5_000, timeoutMs: Int = 30_000,
                    maximumResponseBytes: Int = 16 << 20, userAgent: String = "VitalGate") {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.connectTimeoutMs = connectTimeoutMs
            self.timeoutMs = timeoutMs
            self.maximumResponseBytes = maximumResponseBytes
            self.userAgent = userAgent
        }
    }

    /// The options every request uses.
    public let options: Options
    private let handle: UnsafeMutableRawPointer

    /// Creates a client; nothing connects until the first request. The first client loads
    /// libcurl (`libcurl.so.4`).
    /// - Throws: ``HTTPError`` `.configuration` if libcurl cannot be loaded, `.failed` if it
    ///   cannot make a handle.
    public init(options: Options = Options()) throws(HTTPError) {
        if let failure = vg_curl_load() {
            throw HTTPError(code: .configuration, reason: String(cString: failure))
        }
        guard let handle = vg_curl_easy_init() else {
            throw HTTPError(code: .failed, reason: "libcurl could not create a handle")
        }
        self.options = options
        self.handle = handle
    }

    deinit { vg_curl_easy_cleanup(handle) }

    /// How many connections the client has opened so far (to observe keep-alive reuse).
    public private(set) var connectionsOpened = 0

    /// Sends `request` and returns the response, whatever its status.
    /// - Throws: ``HTTPError`` when no complete response arrived: `.unreachable`, `.timeout`,
    ///   `.tls`, `.connectionLost`, `.responseTooLarge`, `.configuration` or `.failed`.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        vg_curl_easy_reset(handle)  // options only: the connection cache stays
        let collector = ResponseCollector(limit: options.maximumResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { vg_curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = vg_curl_slist_append(headerList, "\(name): \(value)") }
        headerList = vg_curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let context = Unmanaged.passRetained(collector)
        defer { context.release() }
        let result = errorText.withUnsafeMutableBufferPointer { errorBuffer in
            request.body.withUnsafeBufferPointer { body in
                var failed = configure(request, body: body, headers: headerList, context: context.toOpaque())
                failed = failed || vg_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress) != CURLE_OK
                return failed ? CURLE_FAILED_INIT : vg_curl_easy_perform(handle)
            }
        }
        connectionsOpened += vg_curl_connections_opened(handle)
        guard result == CURLE_OK else {
            let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Self.error(result, detail: detail, overflow: collector.overflowed)
        }
        return HTTPResponse(status: vg_curl_response_code(handle), headers: collector.headers, body: collector.body)
    }

    /// Sets the request's options; true if one was refused.
    private func configure(_ request: HTTPRequest, body: UnsafeBufferPointer<UInt8>,
                           headers: UnsafeMutablePointer<curl_slist>?, context: UnsafeMutableRawPointer) -> Bool {
        var results: [CURLcode] = [
            vg_curl_setopt_pointer(handle, CURLOPT_URL, request.url),
            vg_curl_setopt_pointer(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            vg_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            vg_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0),
            vg_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMs),
            vg_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.timeoutMs),
            vg_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1),
            vg_curl_setopt_pointer(handle, CURLOPT_USERAGENT, options.userAgent),
            vg_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers),
            vg_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, collectBody),
            vg_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context),
            vg_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, collectHeader),
            vg_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context),
        ]
        if let caFile = options.caFile { results.append(vg_curl_setopt_pointer(handle, CURLOPT_CAINFO, caFile)) }
        if let certificate = options.certificateFile {
            results.append(vg_curl_setopt_pointer(handle, CURLOPT_SSLCERT, certificate))
        }
        if let key = options.keyFile { results.append(vg_curl_setopt_pointer(handle, CURLOPT_SSLKEY, key)) }
        switch request.method {
        case "GET": results.append(vg_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case "POST": results.append(vg_curl_setopt_long(handle, CURLOPT_POST, 1))
        default: results.append(vg_curl_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, request.method))
        }
        if request.method != "GET" {
            results.append(vg_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            results.append(vg_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafePointer(bitPattern: 1)))
        }
        return results.contains { $0 != CURLE_OK }
    }

    /// The typed error of a libcurl result.
    static func error(_ result: CURLcode, detail: String, overflow: Bool) -> HTTPError {
        let code: HTTPError.Code
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: code = .unreachable
        case CURLE_OPERATION_TIMEDOUT: code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            code = .tls
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            // A server that refuses the client certificate says so after a TLS 1.3 handshake,
            // in the first read: libcurl reports a receive error with OpenSSL's alert.
            code = detail.contains("SSL") ? .tls : .connectionLost
        case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE: code = .connectionLost
        case CURLE_WRITE_ERROR where overflow: code = .responseTooLarge
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_READ_ERROR: code = .configuration
        default: code = .failed
        }
        let name = String(cString: vg_curl_easy_strerror(result))
        return HTTPError(code: code, reason: detail.isEmpty ? name : "\(name): \(detail)")
    }
}

/// What libcurl hands the callbacks of one exchange.
private final class ResponseCollector {
    let limit: Int
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }
}

/// libcurl's body callback: appends, or stops the transfer past the limit.
private func collectBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                         _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard collector.body.count + length <= collector.limit else {
        collector.overflowed = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        collector.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

/// libcurl's header callback: one line per call; a status line starts a new response (after a
/// `100 Continue`, only the final response's fields are kept).
private func collectHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                           _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        collector.headers = []
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingSpaces
        collector.headers.append((name, value))
    }
    return length
}

extension Substring {
    /// Without leading and trailing white space (a header line ends in "\r\n", one Character).
    fileprivate var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
