import Telemetry
import Vault

/// What `demo` prints.
struct DemoSummary {
    var published: Int
    var faultsInjected: [String: Int]
    var processed: Int
    var stats: VaultStats
    var elapsedSeconds: Double
    var agentPeakRSSKiB: Int?
    var cleanStop: Bool
    var dataDirectory: String
    /// The demo agent's gateway id (`--gateway` for `audit`, `prove`, `keys trust` on that directory).
    var gateway: String
    /// Where the agent delivered FHIR R4 NDJSON files.
    var deliveryDirectory: String

    /// The NDJSON sink's cursor and backlog, if it delivered anything.
    var delivery: SinkStatus? { stats.egress.first { $0.cursor.sink == "ndjson" } }

    var throughput: Double { elapsedSeconds > 0 ? Double(processed) / elapsedSeconds : 0 }

    var json: JSONValue {
        func counts(_ map: [String: Int]) -> JSONValue {
            .object(map.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })
        }
        return .object([
            ("published", .number(Double(published))),
            ("faults_injected", counts(faultsInjected)),
            ("messages_processed", .number(Double(processed))),
            ("readings_by_family", counts(stats.readingsByModel)),
            ("readings", .number(Double(stats.readings))),
            ("quarantined_by_reason", counts(stats.quarantinedByReason)),
            ("quarantined", .number(Double(stats.quarantined))),
            ("duplicates", .number(Double(stats.duplicates))),
            ("conflicts", .number(Double(stats.conflicts))),
            ("unpaired", .number(Double(stats.unpaired))),
            ("events_by_type", counts(stats.eventsByType)),
            ("alerts", .number(Double(stats.alerts))),
            ("checkpoints", .number(Double(stats.anchoring.latestCheckpoint))),
            ("checkpoints_anchored", .number(Double(stats.anchoring.anchored))),
            ("throughput_msgs_per_s", .number((throughput * 10).rounded() / 10)),
            ("agent_peak_rss_mib", agentPeakRSSKiB.map { .number((Double($0) / 1024 * 10).rounded() / 10) } ?? .null),
            ("clean_stop", .bool(cleanStop)),
            ("delivered_fhir_ndjson", .number(Double(delivery?.cursor.delivered ?? 0))),
            ("delivery_backlog", .number(Double(delivery?.backlog ?? 0))),
            ("delivery_dir", .string(deliveryDirectory)),
            ("data_dir", .string(dataDirectory)),
            ("gateway", .string(gateway)),
        ])
    }

    var text: String {
        var lines = ["VitalGate demo summary", ""]
        lines.append("published by simulator  \(published)  (faults injected: \(faultsInjected.values.reduce(0, +)))")
        lines.append("processed by agent      \(processed)  in \(String(printf: "%.1f", elapsedSeconds)) s "
                     + "(\(String(printf: "%.0f", throughput)) msg/s)")
        lines.append("readings stored         \(stats.readings)")
        for (family, n) in stats.readingsByModel.sorted(by: { $0.key < $1.key }) { lines.append("  \(family): \(n)") }
        lines.append("quarantined             \(stats.quarantined)")
        for (reason, n) in stats.quarantinedByReason.sorted(by: { $0.key < $1.key }) { lines.append("  \(reason): \(n)") }
        lines.append("duplicates (stored once) \(stats.duplicates)")
        lines.append("conflicts               \(stats.conflicts)")
        lines.append("unpaired readings       \(stats.unpaired)")
        lines.append("device events           \(stats.events)  "
                     + stats.eventsByType.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        lines.append("alerts                  \(stats.alerts)")
        lines.append("log checkpoints         \(stats.anchoring.latestCheckpoint) (anchored up to \(stats.anchoring.anchored))")
        lines.append("agent peak memory       " + (agentPeakRSSKiB.map { String(printf: "%.1f MiB", Double($0) / 1024) } ?? "n/a"))
        lines.append("agent stopped cleanly   \(cleanStop ? "yes" : "NO")")
        lines.append("delivered as FHIR R4    \(delivery?.cursor.delivered ?? 0) records, backlog \(delivery?.backlog ?? 0)  "
                     + "(NDJSON in \(deliveryDirectory))")
        lines.append("data directory          \(dataDirectory)  (gateway \(gateway))")
        return lines.joined(separator: "\n")
    }
}
