import MQTT
import Simulator

/// One run of `SimulationPublisher`: generates the stream as simulated time advances, keeps at
/// most `maxInFlight` publications unacknowledged, then drains the acknowledgements.
struct PublishLoop {
    private let configuration: SimulationPublisher.Configuration
    private let limit: SimulationPublisher.Limit
    private var simulator: TelemetrySimulator
    private let start: Int64
    /// First simulated millisecond not to publish, when the limit has a duration.
    private let end: Int64?
    /// Simulated milliseconds generated at once when running as fast as possible.
    private let chunkMs: Int64
    private var queue: [SimulatedMessage] = []
    private var head = 0
    /// Every message with `at` up to this time has been generated.
    private var generatedThrough: Int64
    private var reachedEnd = false
    private var report = SimulationReport()

    init(configuration: SimulationPublisher.Configuration, limit: SimulationPublisher.Limit) throws(SimulatorError) {
        self.configuration = configuration
        self.limit = limit
        simulator = try TelemetrySimulator(config: configuration.simulator)
        start = configuration.simulator.startTime
        if let seconds = limit.simulatedSeconds {
            guard seconds > 0, seconds < 1e12 else {
                throw SimulatorError(.invalidConfiguration, "the simulated duration must be > 0 seconds")
            }
            end = start + Int64((seconds * 1000).rounded(.up))
        } else {
            end = nil
        }
        generatedThrough = start - 1
        // About four windows of messages per chunk, at most one simulated second.
        let perSecond = max(1, configuration.simulator.expectedMessagesPerSecond)
        chunkMs = Int64(min(1000, max(1, (Double(4 * configuration.maxInFlight) / perSecond * 1000).rounded())))
        report.startTime = start
    }

    /// Publishes until the limit or `stop()`, then waits for the outstanding PUBACKs.
    /// `progress(published, acknowledged)` is called after every network round.
    mutating func run(client: MQTTClient, stop: () -> Bool,
                      progress: (Int, Int) -> Void) throws(MQTTError) -> SimulationReport {
        let clock = ContinuousClock()
        let began = clock.now
        let baseline = client.completedPublishes
        func acknowledged() -> Int { client.completedPublishes - baseline }
        func elapsedMs() -> Double { Self.milliseconds(clock.now - began) }

        while true {
            if let reason = stopReason(stop) {
                report.stopReason = reason
                break
            }
            if head == queue.count { refill(elapsedMs: elapsedMs()) }
            try publishWindow(client, acknowledged: acknowledged())
            try client.flush()
            _ = try client.receive(timeoutMs: waitMs(elapsedMs: elapsedMs()))
            try client.acknowledge()
            progress(report.published, acknowledged())
        }
        queue.removeAll()
        head = 0

        let drainBegan = clock.now
        while report.published > acknowledged()
            && Self.milliseconds(clock.now - drainBegan) < Double(configuration.drainTimeoutMs) {
            try client.flush()
            _ = try client.receive(timeoutMs: 20)
            try client.acknowledge()
        }
        report.acknowledged = acknowledged()
        report.elapsedSeconds = elapsedMs() / 1000
        progress(report.published, report.acknowledged)
        return report
    }

    /// Why publishing stops now, if it does: asked to, the message limit, or the end of the
    /// simulated duration with everything generated published.
    private func stopReason(_ stop: () -> Bool) -> SimulationReport.StopReason? {
        if stop() { return .stopRequested }
        if let most = limit.messages, report.published >= most { return .messageLimit }
        if head == queue.count && reachedEnd { return .duration }
        return nil
    }

    /// Publishes queued messages while the window (`maxInFlight` unacknowledged) has room.
    private mutating func publishWindow(_ client: MQTTClient, acknowledged: Int) throws(MQTTError) {
        let most = limit.messages ?? .max
        while head < queue.count && report.published < most
            && report.published - acknowledged < configuration.maxInFlight {
            let message = queue[head]
            head += 1
            try client.publish(MQTTOptions.Message(topic: message.topic, payload: message.payload, qos: 1,
                                                   retain: message.retain))
            report.record(message)
        }
    }

    /// Generates what is due: the next chunk when running flat out, otherwise everything up to
    /// the simulated "now" (wall time since the start times `speed`), never past the end.
    private mutating func refill(elapsedMs: Double) {
        var target = configuration.speed == 0
            ? generatedThrough + chunkMs
            : start + Int64((elapsedMs * configuration.speed).rounded(.down))
        if let end, target >= end - 1 {
            target = end - 1
            reachedEnd = true
        }
        guard target > generatedThrough else { return }
        queue = simulator.messages(until: target)
        head = 0
        generatedThrough = target
    }

    /// How long to wait for traffic: briefly while the window is full, until the next message
    /// is due when pacing (at most 50 ms, so `stop()` is polled often), not at all otherwise.
    private func waitMs(elapsedMs: Double) -> Int {
        if head < queue.count { return 10 }
        guard configuration.speed > 0, !reachedEnd else { return 0 }
        var due = simulator.nextDueTime ?? generatedThrough + 1000
        if let end { due = min(due, end - 1) }
        let dueWallMs = Double(due - start) / configuration.speed
        return Int(min(50, max(0, (dueWallMs - elapsedMs).rounded(.up))))
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
