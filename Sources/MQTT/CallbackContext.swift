internal import CMosquitto

/// State the C callbacks write into. libmosquitto calls them synchronously from inside
/// `mosquitto_loop_read`, on the thread that drives the client, so no locking is needed.
final class CallbackContext {
    var inbox: [InboundMessage] = []
    var connackCode: Int32?
    var sessionPresent = false
    var disconnected = false
    var completedPublishes = 0
    /// Message ids of QoS 1/2 publications whose handshake has not completed.
    var unconfirmed: Set<Int32> = []
}

private func context(_ userdata: UnsafeMutableRawPointer?) -> CallbackContext? {
    guard let userdata else { return nil }
    return Unmanaged<CallbackContext>.fromOpaque(userdata).takeUnretainedValue()
}

let onMessageCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?,
                                       UnsafePointer<mosquitto_message>?) -> Void = { _, userdata, message in
    guard let ctx = context(userdata), let message = message?.pointee else { return }
    let topic = message.topic.map { String(cString: $0) } ?? ""
    var payload: [UInt8] = []
    if let bytes = message.payload, message.payloadlen > 0 {
        payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
    }
    ctx.inbox.append(InboundMessage(topic: topic, payload: payload, qos: message.qos, retain: message.retain,
                                    messageID: message.mid))
}

let onConnectCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, Int32,
                                       OpaquePointer?) -> Void = { _, userdata, rc, flags, _ in
    guard let ctx = context(userdata) else { return }
    ctx.connackCode = rc
    ctx.sessionPresent = flags & 1 != 0
    ctx.disconnected = rc != 0
}

let onDisconnectCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = {
    _, userdata, _ in
    context(userdata)?.disconnected = true
}

let onPublishCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = { _, userdata, mid in
    guard let context = context(userdata) else { return }
    context.completedPublishes += 1
    context.unconfirmed.remove(mid)
}
