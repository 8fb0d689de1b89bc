import MQTT
import Telemetry

/// The agent's counters, published retained on `vitalgate/{gateway}/metrics` every
/// `metricsIntervalSeconds` and at a clean stop, so that an operator sees a running gateway's
/// figures (and, from a stale `t`, one that stopped reporting) without reading its logs.
extension IngestService {
    /// Queues the metrics message if one is due (`force`: now).
    func publishMetricsIfDue(_ transport: any MessageTransport, force: Bool = false) {
        publisher.publishMetrics(transport, force: force) {
            guard case .object(let fields) = metrics.json else { return [] }
            return fields + [
                ("t", .number(Double(clock.wallMs()))), ("gateway", .string(configuration.gatewayID)),
                ("started_at", .number(Double(startedAt))), ("vault_bytes", .number(Double(store.fileBytes))),
            ]
        }
    }
}
