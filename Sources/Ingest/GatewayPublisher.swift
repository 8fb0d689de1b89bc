import Detection
import Fleet
import Logging
import MQTT
import Telemetry
import Threading

/// The publish stage: everything the gateway says on its own topics (`GatewayTopics`), and
/// when. Status (`online` retained, `offline` at a clean stop and as the will), the gateway's
/// own faults on the alerts topic, the newest checkpoint (retained, at most once a second), the
/// counters (retained, every `metricsIntervalSeconds`), fleet reports (retained, held while
/// disconnected).
///
/// Detection alerts are not published here: they are stored with their batch and leave
/// through the outbox (Delivery's local alerts sink), so one whose publication a crash cut off
/// goes out after the restart.
struct GatewayPublisher {
    let topics: GatewayTopics
    private let clock: any PipelineClock
    private let logger: Logger
    /// A report to publish once connected (after a rollback the old broker must be reached first).
    private var pendingReport: ConfigReport?
    private var publishedCheckpoint: String?
    /// The newest checkpoint is published at most once a second.
    private var checkpointPublish = PeriodicWork(everyMs: 1000)
    /// The counters are published every interval (`nil`: never).
    private var metricsPublish: PeriodicWork?

    init(topics: GatewayTopics, metricsIntervalSeconds: Double, clock: any PipelineClock, logger: Logger) {
        self.topics = topics
        self.clock = clock
        self.logger = logger
        metricsPublish = metricsIntervalSeconds > 0 ? PeriodicWork(everyMs: Int64(metricsIntervalSeconds * 1000)) : nil
    }

    /// `online` (retained), then a report held while disconnected. Does not flush.
    mutating func announceOnline(_ transport: any MessageTransport) throws(MQTTError) {
        try transport.publish(MQTTOptions.Message(topic: topics.status, payload: Array("online".utf8), qos: 1, retain: true))
        if let report = pendingReport {
            try transport.publish(reportMessage(report))
            pendingReport = nil
        }
    }

    /// `offline` (retained) before a clean disconnect.
    func announceOffline(_ transport: any MessageTransport) {
        guard transport.isConnected else { return }
        _ = try? transport.publish(MQTTOptions.Message(topic: topics.status, payload: Array("offline".utf8), qos: 1, retain: true))
        try? transport.flush()
    }

    // MARK: Gateway alerts

    /// Publishes a gateway alert (a fault of the gateway itself, not of a patient). Does not flush.
    func publishGatewayAlert(_ body: [UInt8], _ transport: any MessageTransport) throws(MQTTError) {
        try transport.publish(MQTTOptions.Message(topic: topics.alerts, payload: body, qos: 1, retain: false))
    }

    // MARK: Checkpoint, counters, reports

    /// Publishes `note` if it is new, at most once a second (each one replaces the retained
    /// previous one, so under load a note per batch would only cost the broker), and always at
    /// a clean stop (`force`).
    mutating func publishCheckpoint(_ note: String?, _ transport: any MessageTransport, force: Bool = false) {
        guard transport.isConnected, let note, note != publishedCheckpoint,
              force || checkpointPublish.isDue(at: clock.monotonicMs()) else { return }
        do {
            try transport.publish(MQTTOptions.Message(topic: topics.checkpoint, payload: Array(note.utf8), qos: 1, retain: true))
            try transport.flush()
            publishedCheckpoint = note
            let now = clock.monotonicMs()
            checkpointPublish.ran(at: now)
        } catch {
            logger.warning("cannot publish the checkpoint", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes the counters `fields()` if they are due (`force`: now). They leave with the
    /// next write: at once when nothing received awaits storage, else with the acknowledgements.
    mutating func publishMetrics(_ transport: any MessageTransport, force: Bool = false,
                                 _ fields: () -> [(key: String, value: JSONValue)]) {
        guard let due = metricsPublish, transport.isConnected, force || due.isDue(at: clock.monotonicMs()) else { return }
        do {
            try transport.publish(MQTTOptions.Message(topic: topics.metrics, payload: JSONWriter.canonicalBytes(.object(fields())),
                                                      qos: 1, retain: true))
            try transport.flush()
            let now = clock.monotonicMs()
            metricsPublish?.ran(at: now)
        } catch {
            logger.warning("cannot publish the metrics", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes a fleet report, or holds it until the next connection.
    mutating func publishReport(_ report: ConfigReport, _ transport: any MessageTransport) {
        guard transport.isConnected else {
            pendingReport = report
            return
        }
        do {
            try transport.publish(reportMessage(report))
            try transport.flush()
        } catch {
            pendingReport = report
            logger.warning("cannot publish the configuration report yet", metadata: ["error": "\(error)"])
        }
    }

    private func reportMessage(_ report: ConfigReport) -> MQTTOptions.Message {
        MQTTOptions.Message(topic: topics.configReported, payload: JSONWriter.canonicalBytes(report.json), qos: 1, retain: true)
    }
}
