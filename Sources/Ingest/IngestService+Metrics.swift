import FoundationEssentials
import MQTT
import Telemetry
import Threading

/// The agent's counters, published retained on `vitalgate/{gateway}/metrics` every
/// `metricsIntervalSeconds` and at a clean stop, so that an operator sees a running gateway's
/// figures (and, from a stale `t`, one that stopped reporting) without reading its logs.
extension IngestService {
    /// Queues the metrics message if one is due (`force`: now). It leaves with the next write:
    /// at once when nothing received awaits storage, else with the next acknowledgements.
    func publishMetricsIfDue(_ client: any MessageTransport, force: Bool = false) {
        let interval = configuration.metricsIntervalSeconds
        guard interval > 0, client.isConnected,
              force || metricsPublish.isDue(at: clock.monotonicMs()) else { return }
        guard case .object(var fields) = metrics.json else { return }
        fields += [
            ("t", .number(Double(clock.wallMs()))), ("gateway", .string(configuration.gatewayID)),
            ("started_at", .number(Double(startedAt))), ("vault_bytes", .number(Double(store.fileBytes))),
        ]
        do {
            try client.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.metrics,
                                                   payload: JSONWriter.canonicalBytes(.object(fields)), qos: 1, retain: true))
            try client.flush()
            metricsPublish.ran(at: clock.monotonicMs())
        } catch {
            logger.warning("cannot publish the metrics", metadata: ["error": "\(error)"])
        }
    }
}
