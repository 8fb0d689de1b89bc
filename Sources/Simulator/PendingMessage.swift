internal import Telemetry

/// A device's next reading time.
struct ScheduledTick: Comparable, Sendable {
    var time: Int64
    var device: Int

    static func < (lhs: ScheduledTick, rhs: ScheduledTick) -> Bool {
        (lhs.time, lhs.device) < (rhs.time, rhs.device)
    }
}

/// A message waiting for its publish time, with the bookkeeping the summary needs.
struct PendingMessage: Comparable, Sendable {
    var message: SimulatedMessage
    var serial: UInt64
    var family: DeviceFamily?
    var kind: MessageKind

    static func < (lhs: PendingMessage, rhs: PendingMessage) -> Bool {
        (lhs.message.at, lhs.serial) < (rhs.message.at, rhs.serial)
    }

    static func == (lhs: PendingMessage, rhs: PendingMessage) -> Bool {
        lhs.message.at == rhs.message.at && lhs.serial == rhs.serial
    }
}
