internal import CMosquitto
internal import CMosquittoBuffers
#if canImport(Glibc)
import Glibc
#endif

/// A libmosquitto client driven by its owner's thread, built so that **a QoS 1 message is
/// acknowledged only after the owner has stored it**.
///
/// libmosquitto 2.0 queues the PUBACK *before* it runs the message callback
/// (`handle__publish`), and in its default unthreaded mode writes it to the socket at once.
/// We declare the client threaded (`mosquitto_threaded_set`) and run the network loop
/// ourselves, so queued packets are written only by `acknowledge()`:
///
/// ```
/// let batch = try client.receive(timeoutMs: 100)   // PUBACKs queued, not sent
/// try store(batch)                                  // commit
/// try client.acknowledge()                          // now the PUBACKs leave
/// ```
/// If storing fails, call `abortConnection()`: the socket is shut down without writing,
/// `reconnect()` discards the queued PUBACKs, and the broker redelivers.
///
/// Not thread-safe: create, drive and destroy it on one thread.
public final class MQTTClient {
    public let options: MQTTOptions
    private let handle: OpaquePointer
    private let context = CallbackContext()
    private var unacknowledged = 0
    private var deferredError: MQTTError?
    /// Serve libmosquitto's byte-sized reads, and collect its packet-sized writes, of a plain
    /// TCP connection (DECISIONS 22); nil for TLS, whose I/O goes through OpenSSL untouched.
    private let readBuffer: OpaquePointer?
    private let writeBuffer: OpaquePointer?

    public init(options: MQTTOptions) throws(MQTTError) {
        MQTTLibrary.ensureInitialized()
        self.options = options
        let userdata = Unmanaged.passUnretained(context).toOpaque()
        // The client's wake-up socket pair is created here; its useless writes are skipped.
        mqtt_wakeup_capture_begin()
        let created = mosquitto_new(options.clientID, !options.persistentSession, userdata)
        mqtt_wakeup_capture_end()
        guard let handle = created else {
            throw MQTTError(code: -1, operation: "mosquitto_new", reason: "cannot create client (invalid client id?)")
        }
        self.handle = handle
        let usesTLS = options.tls != nil || options.broker.usesTLS
        readBuffer = usesTLS ? nil : mqtt_read_buffer_create(Self.readBufferBytes)
        writeBuffer = usesTLS ? nil : mqtt_write_buffer_create()
        try MQTTLibrary.check(mosquitto_threaded_set(handle, true), "threaded_set")
        let version = Int32(options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311)
        try MQTTLibrary.check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, version),
                              "protocol version")
        if let username = options.username {
            try MQTTLibrary.check(mosquitto_username_pw_set(handle, username, options.password), "username")
        }
        if let tls = options.tls ?? (options.broker.usesTLS ? MQTTOptions.TLS() : nil) {
            try configureTLS(tls)
        }
        if let will = options.will {
            try MQTTLibrary.check(will.payload.withUnsafeBytes {
                mosquitto_will_set(handle, will.topic, Int32(will.payload.count), $0.baseAddress, will.qos, will.retain)
            }, "will_set")
        }
        mosquitto_message_callback_set(handle, onMessageCallback)
        mosquitto_connect_v5_callback_set(handle, onConnectCallback)
        mosquitto_disconnect_callback_set(handle, onDisconnectCallback)
        mosquitto_publish_callback_set(handle, onPublishCallback)
    }

    deinit {
        mosquitto_destroy(handle)
        mqtt_read_buffer_destroy(readBuffer)
        mqtt_write_buffer_destroy(writeBuffer)
    }

    /// 64 KiB: a few hundred typical messages per system call under a backlog.
    private static let readBufferBytes = 64 * 1024

    /// `read()` calls that filled the read buffer since the client was created (nil without a
    /// buffer): under a backlog, far fewer than the messages received.
    public var bufferedSocketReads: UInt64? { readBuffer.map { mqtt_read_buffer_fills($0) } }

    /// `write()` calls that sent collected packets since the client was created (nil without a
    /// buffer): far fewer than the acknowledgements sent.
    public var bufferedSocketWrites: UInt64? { writeBuffer.map { mqtt_write_buffer_sends($0) } }

    /// Wake-up bytes that libmosquitto tried to write to its internal socket pair (one per
    /// queued packet) and that were skipped, by all clients of the process so far (DECISIONS 24).
    public static var skippedWakeUpWrites: UInt64 { mqtt_wakeup_writes_skipped() }

    private func configureTLS(_ tls: MQTTOptions.TLS) throws(MQTTError) {
        // libmosquitto needs a CA file or path; default to the system bundle.
        let caPath = tls.caFile == nil && tls.caPath == nil ? "/etc/ssl/certs" : tls.caPath
        try MQTTLibrary.check(mosquitto_tls_set(handle, tls.caFile, caPath, tls.certFile, tls.keyFile, nil), "tls_set")
        try MQTTLibrary.check(mosquitto_tls_insecure_set(handle, tls.insecure), "tls_insecure_set")
    }

    /// True between a successful CONNACK and the loss of the connection.
    public var isConnected: Bool { context.connackCode == 0 && !context.disconnected }

    /// Whether the broker resumed a stored session at the last connect.
    public var sessionPresent: Bool { context.sessionPresent }

    /// Connects (TCP, TLS, CONNECT/CONNACK) and waits for the broker's answer.
    public func connect() throws(MQTTError) {
        resetReadBuffer()
        context.connackCode = nil
        context.disconnected = false
        unacknowledged = 0
        deferredError = nil
        if options.protocolVersion == .v5 {
            var properties: OpaquePointer?
            defer { mosquitto_property_free_all(&properties) }
            if options.persistentSession {
                try MQTTLibrary.check(mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                                                                   options.sessionExpirySeconds), "session expiry")
            }
            try MQTTLibrary.check(mosquitto_property_add_int16(&properties, Int32(MQTT_PROP_RECEIVE_MAXIMUM.rawValue),
                                                               options.maxInflight), "receive maximum")
            try MQTTLibrary.check(mosquitto_connect_bind_v5(handle, options.broker.host, options.broker.port,
                                                            options.keepAliveSeconds, nil, properties), "connect")
        } else {
            try MQTTLibrary.check(mosquitto_connect(handle, options.broker.host, options.broker.port,
                                                    options.keepAliveSeconds), "connect")
        }
        try awaitConnack()
    }

    /// Reconnects with the same options; packets queued on the old connection (including
    /// acknowledgements of messages that were never stored) are discarded.
    public func reconnect() throws(MQTTError) {
        resetReadBuffer()
        context.connackCode = nil
        context.disconnected = false
        unacknowledged = 0
        deferredError = nil
        context.inbox.removeAll()
        try MQTTLibrary.check(mosquitto_reconnect(handle), "reconnect")
        try awaitConnack()
    }

    private func awaitConnack() throws(MQTTError) {
        var waited = 0
        while context.connackCode == nil {
            guard waited < options.connectTimeoutMs else {
                abortConnection()
                throw MQTTError(code: Int32(MOSQ_ERR_TLS_HANDSHAKE.rawValue), operation: "connect",
                                reason: "no CONNACK within \(options.connectTimeoutMs) ms")
            }
            // Stop at CONNACK: a resumed session's redeliveries follow it at once and must
            // go through receive()/acknowledge() like any other message.
            try pumpNetwork(timeoutMs: 50, allowRead: true, stopAtConnack: true)
            waited += 50
        }
        if let code = context.connackCode, code != 0 {
            throw MQTTError(code: code, operation: "connect", reason: "broker refused the connection")
        }
    }

    /// Subscribes. The request is sent at once unless received messages are still waiting
    /// to be stored, in which case it follows their acknowledgement.
    public func subscribe(_ filter: String, qos: Int32 = 1) throws(MQTTError) {
        try MQTTLibrary.check(mosquitto_subscribe(handle, nil, filter, qos), "subscribe")
        try flushWrites()
    }

    /// Unsubscribes, under the same ordering rule as `subscribe`.
    public func unsubscribe(_ filter: String) throws(MQTTError) {
        try MQTTLibrary.check(mosquitto_unsubscribe(handle, nil, filter), "unsubscribe")
        try flushWrites()
    }

    /// Queues a publication; it is written by the next `acknowledge()` or `flush()`.
    @discardableResult
    public func publish(_ message: MQTTOptions.Message) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        try MQTTLibrary.check(message.payload.withUnsafeBytes {
            mosquitto_publish(handle, &mid, message.topic, Int32(message.payload.count), $0.baseAddress,
                              message.qos, message.retain)
        }, "publish")
        if message.qos > 0 { context.unconfirmed.insert(mid) }
        return mid
    }

    /// Messages handed out by `receive` and not yet acknowledged.
    public var unacknowledgedCount: Int { unacknowledged }

    /// Publications whose QoS 1 handshake completed since the client was created.
    public var completedPublishes: Int { context.completedPublishes }

    /// Waits up to `timeoutMs` for traffic and returns the messages that arrived (at most
    /// about `maxMessages`). Their acknowledgements are queued but **not sent**: store them,
    /// then call `acknowledge()`, which acknowledges everything received since the previous
    /// `acknowledge()` (several `receive` calls may precede it). Throws when the connection is
    /// lost; messages received before the loss are returned first and the error is thrown on
    /// the next call.
    public func receive(timeoutMs: Int, maxMessages: Int = 256) throws(MQTTError) -> [InboundMessage] {
        if let error = deferredError {
            deferredError = nil
            throw error
        }
        do {
            try pumpNetwork(timeoutMs: timeoutMs, allowRead: true, maxMessages: maxMessages)
        } catch {
            if context.inbox.isEmpty { throw error }
            deferredError = error
        }
        let batch = context.inbox
        context.inbox.removeAll(keepingCapacity: true)
        unacknowledged += batch.count
        return batch
    }

    /// Sends the acknowledgements (and anything else queued) for everything received since the
    /// previous `acknowledge()`. Call only once all of it is durably stored.
    public func acknowledge() throws(MQTTError) {
        unacknowledged = 0
        try flushWrites()
        try MQTTLibrary.check(mosquitto_loop_misc(handle), "loop_misc")
    }

    /// Writes queued packets (publications, keep-alives) without reading. Does nothing while
    /// received messages await storage (writing would acknowledge them).
    public func flush() throws(MQTTError) {
        try flushWrites()
    }

    /// QoS 1/2 publications not yet acknowledged by the broker (libmosquitto resends them after
    /// a reconnect).
    public var unconfirmedPublishes: Int { context.unconfirmed.count }

    /// Drops the TCP connection at once, without writing anything queued (used when a
    /// received batch could not be stored: the broker must redeliver it).
    ///
    /// With `awaitingConfirmationsMs` > 0 it first keeps reading, for at most that long, until
    /// the broker has acknowledged this client's own QoS 1 publications, so they are not sent
    /// again after the reconnect. Messages that arrive meanwhile are discarded unacknowledged
    /// (the broker redelivers them too), and nothing is written. It reads at most `maxInflight`
    /// messages doing so: libmosquitto queues a PUBACK for each (~100 bytes) until the abort.
    public func abortConnection(awaitingConfirmationsMs: Int = 0) {
        if awaitingConfirmationsMs > 0 && !context.unconfirmed.isEmpty && isConnected {
            readOnly = true
            let deadline = ContinuousClock.now + .milliseconds(awaitingConfirmationsMs)
            var discarded = 0
            while !context.unconfirmed.isEmpty && ContinuousClock.now < deadline && discarded < Int(options.maxInflight) {
                do { try pumpNetwork(timeoutMs: 10, allowRead: true, maxMessages: 256) } catch { break }
                discarded += context.inbox.count
                context.inbox.removeAll(keepingCapacity: true)
            }
            readOnly = false
        }
        context.inbox.removeAll(keepingCapacity: true)
        resetReadBuffer()
        let fd = mosquitto_socket(handle)
        if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        context.disconnected = true
        unacknowledged = 0
    }

    /// Sends DISCONNECT after the queued packets (the will is not published).
    public func disconnect() {
        guard isConnected, unacknowledged == 0 else { abortConnection(); return }
        _ = mosquitto_disconnect(handle)
        try? flushWrites()
        context.disconnected = true
    }

    // MARK: Network loop

    /// Queued packets may include acknowledgements; they may leave only when every message
    /// received so far has been handed out and acknowledged by the owner.
    private var mayWrite: Bool { unacknowledged == 0 && context.inbox.isEmpty && !readOnly }
    /// Set while reading before an abort: nothing may be written then.
    private var readOnly = false

    private func flushWrites() throws(MQTTError) {
        guard mayWrite, mosquitto_want_write(handle) else { return }
        // libmosquitto writes each queued packet with its own send(): a batch's PUBACKs would
        // leave as one TCP segment each. Corking the socket while they are written sends
        // them in as few segments as fit; uncorking pushes out the rest at once.
        let fd = mosquitto_socket(handle)
        setCork(fd, true)
        defer { setCork(fd, false) }
        var rounds = 0
        while mosquitto_want_write(handle) && rounds < 1000 {
            let rc = writePackets(fd)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                context.disconnected = true
                try MQTTLibrary.check(rc, "write")
            }
            if mosquitto_want_write(handle) { try waitForSocket(events: Int16(POLLOUT), timeoutMs: 100) }
            rounds += 1
        }
    }

    /// `mosquitto_loop_write`, its packets collected and sent together when it returns.
    private func writePackets(_ fd: Int32) -> Int32 {
        guard let writeBuffer else { return mosquitto_loop_write(handle, 1) }
        mqtt_write_buffer_begin(writeBuffer, fd)
        let rc = mosquitto_loop_write(handle, 1)
        // Everything libmosquitto was told is written must leave now, or the connection is
        // dropped (what was not acknowledged is redelivered, what was published is resent).
        if mqtt_write_buffer_end(writeBuffer, Self.writeTimeoutMs) != 0 && rc == MOSQ_ERR_SUCCESS.rawValue {
            return Int32(MOSQ_ERR_ERRNO.rawValue)
        }
        return rc
    }

    /// How long collected packets may wait for a socket that does not accept them.
    private static let writeTimeoutMs: Int32 = 10_000

    private func setCork(_ fd: Int32, _ on: Bool) {
        guard fd >= 0 else { return }
        var value: Int32 = on ? 1 : 0
        // Best effort: on a socket that is not TCP it fails and nothing changes.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    private func waitForSocket(events: Int16, timeoutMs: Int) throws(MQTTError) {
        let fd = mosquitto_socket(handle)
        guard fd >= 0 else {
            context.disconnected = true
            throw MQTTError(code: Int32(MOSQ_ERR_NO_CONN.rawValue), operation: "poll", reason: "not connected")
        }
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&pfd, 1, Int32(timeoutMs))
    }

    private func pumpNetwork(timeoutMs: Int, allowRead: Bool, maxMessages: Int = 256,
                             stopAtConnack: Bool = false) throws(MQTTError) {
        let fd = mosquitto_socket(handle)
        guard fd >= 0 else {
            context.disconnected = true
            throw MQTTError(code: Int32(MOSQ_ERR_NO_CONN.rawValue), operation: "poll", reason: "not connected")
        }
        var events = Int16(POLLIN)
        // Wait for writability only when a write is allowed; otherwise poll would return at once
        // (queued acknowledgements keep the socket "wanting" to write) and callers would spin.
        if mosquitto_want_write(handle) && mayWrite { events |= Int16(POLLOUT) }
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        // Bytes already in the read buffer are as good as a readable socket: poll must not wait.
        let buffered = allowRead && bufferedBytes(fd) > 0
        var ready = poll(&pfd, 1, buffered ? 0 : Int32(max(0, timeoutMs)))
        if buffered {
            ready = max(ready, 1)
            pfd.revents |= Int16(POLLIN)
        }
        if ready > 0 && pfd.revents & Int16(POLLOUT) != 0 && mayWrite {
            try checkIO(writePackets(fd), "write")
        }
        if ready > 0 && pfd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 && allowRead {
            // Read whole packets while the socket stays readable, up to the batch limit. After a
            // read that delivered a message, read again without asking poll first: under a
            // backlog more is almost always there, and an empty read costs no more than a poll.
            var delivered = false
            repeat {
                let before = context.inbox.count
                try checkIO(readPackets(fd), "read")
                delivered = context.inbox.count > before
                pfd.revents = 0
                pfd.events = Int16(POLLIN)
            } while context.inbox.count < maxMessages && !(stopAtConnack && context.connackCode != nil)
                && (delivered || bufferedBytes(fd) > 0 || (poll(&pfd, 1, 0) > 0 && pfd.revents & Int16(POLLIN) != 0))
        }
        try checkIO(mosquitto_loop_misc(handle), "loop_misc")
    }

    /// One `mosquitto_loop_read` (a packet), its socket reads served by the read buffer.
    private func readPackets(_ fd: Int32) -> Int32 {
        guard let readBuffer else { return mosquitto_loop_read(handle, 1) }
        mqtt_read_buffer_begin(readBuffer, fd)
        defer { mqtt_read_buffer_end() }
        return mosquitto_loop_read(handle, 1)
    }

    private func bufferedBytes(_ fd: Int32) -> Int {
        guard let readBuffer else { return 0 }
        return mqtt_read_buffer_pending(readBuffer, fd)
    }

    /// Bytes of a connection that is being dropped or replaced must not reach the next one.
    private func resetReadBuffer() {
        if let readBuffer { mqtt_read_buffer_reset(readBuffer) }
    }

    private func checkIO(_ rc: Int32, _ operation: String) throws(MQTTError) {
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            context.disconnected = true
            try MQTTLibrary.check(rc, operation)
        }
        if context.disconnected {
            throw MQTTError(code: Int32(MOSQ_ERR_CONN_LOST.rawValue), operation: operation, reason: "connection lost")
        }
    }
}
