@testable import Anchoring
@testable import Delivery
@testable import Ingest
import Monitoring
import Telemetry
import Foundation
import Testing
@testable import Vault
import VitalGateTesting

/// A snapshot with every family populated: quarantine reasons, alert kinds, histograms, sinks
/// with failures, anchoring, beds (which must not reach the metrics).
func busySnapshot(now: Int64 = 1_796_000_000_000) -> AgentSnapshot {
    var status = IngestStatus()
    status.connected = true
    status.startedAt = now - 3_600_000
    status.metrics.messages = 12_345
    status.metrics.stored = 12_000
    status.metrics.quarantined = 7
    status.metrics.readingsPruned = 500
    status.metrics.readingsEvicted = 20
    status.storageBlocked = true
    status.metrics.quarantinedByReason = ["invalid_json": 4, "timestamp_unsynced": 3]
    status.metrics.alertsByKind = [AlertKind(category: "clinical", kind: "desaturation"): 2,
                                   AlertKind(category: "security", kind: "replay"): 1]
    for seconds in [0.0004, 0.002, 0.02, 0.3, 12] {
        status.metrics.batchSeconds.observe(seconds)
        status.metrics.commitSeconds.observe(seconds / 2)
    }
    status.vaultBytes = 123_456_789
    status.storageMaxBytes = 256 << 20
    status.detectorStateBytes = 4096
    status.acknowledgementLagSeconds = 0.25
    status.fleetVersion = 7
    status.checkpointSize = 42
    status.beds = [BedStatus(bed: "ICU-3", pseudonym: "0123456789ab",
                             devices: [.init(device: "OXP-7F31A2", model: "OxiPatch", lastReadingAt: now - 1000, battery: 88,
                                             signalQuality: 0.9)],
                             openAlerts: [.init(category: "clinical", kind: "desaturation", at: now - 60_000)],
                             history: [.init(start: now - 120_000, heartRate: 72, spo2: 96)])]
    var fhir = DeliveryWorker.Metrics()
    fhir.delivered = 11_000
    fhir.attempts = 30
    fhir.failures = ["unreachable": 3, "server": 1]
    fhir.consent = ["permitted": 11_000, "held": 12, "released": 2]
    var anchorMetrics = AnchorWorker.Metrics()
    anchorMetrics.resubmissions = 3
    anchorMetrics.lastFailure = .resubmitted
    var cursor = SinkCursor(sink: "fhir", lastID: 11_000, delivered: 11_000, lastSuccessAt: now - 5000)
    cursor.consentHeldNow = 10
    var snapshot = AgentSnapshot(gatewayID: "gw-1", version: "0.1.0", commit: "abc\"def", takenAt: now, ingest: status,
                                 heartbeatAgeSeconds: 0.05,
                                 sinks: [.init(name: "fhir", worker: fhir, status: SinkStatus(cursor: cursor, backlog: 1000, oldestPendingAt: now - 90_000)),
                                         .init(name: "ndjson", worker: nil, status: nil)],
                                 anchoring: .init(backend: "evm", worker: anchorMetrics, trust: "witnesses"))
    var lag = AnchorLag()
    lag.latestCheckpoint = 42
    lag.anchored = 40
    lag.oldestUnanchoredAt = now - 30_000
    snapshot.anchorLag = lag
    snapshot.consentRegistry = .init(reads: ["ok": 120, "storage-proof": 2, "unavailable": 1],
                                     lastVerifiedBlockTimestamp: UInt64(now / 1000) - 12, failedClosed: 1)
    return snapshot
}

/// Issue 22, item 4: `/metrics` in the Prometheus text format, checked by promtool.
@Suite struct MetricsExpositionTests {
    @Test func promtoolAcceptsTheWholeExposition() throws {
        let text = busySnapshot().prometheusText
        let (passed, output) = try ExternalTools.promtoolCheckMetrics(text)
        #expect(passed, "promtool: \(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool found problems: \(output)")
    }

    @Test func promtoolCatchesAMisnamedCounter() throws {
        // The check above can fail: a counter without `_total` is reported.
        var out = PrometheusExposition()
        out.single("vitalgate_messages", .counter, "Messages.", 1)
        let (_, output) = try ExternalTools.promtoolCheckMetrics(out.text)
        #expect(output.contains("_total"), "promtool said: \(output)")
    }

    @Test func everyFamilyHasThePrefixAndCountersEndInTotal() {
        let text = busySnapshot().prometheusText
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
        #expect(types.count > 40)
        for type in types {
            #expect(type[2].hasPrefix("vitalgate_"))
            if type[3] == "counter" { #expect(type[2].hasSuffix("_total"), "\(type[2])") }
        }
    }

    @Test func theFiguresAreThereWithTheirLabels() {
        let text = busySnapshot().prometheusText
        for line in [
            "vitalgate_messages_total 12345", "vitalgate_messages_quarantined_total{reason=\"invalid_json\"} 4",
            "vitalgate_alerts_total{category=\"clinical\",kind=\"desaturation\"} 2",
            "vitalgate_batch_duration_seconds_bucket{le=\"0.0005\"} 1", "vitalgate_batch_duration_seconds_bucket{le=\"10\"} 4",
            "vitalgate_batch_duration_seconds_bucket{le=\"+Inf\"} 5", "vitalgate_batch_duration_seconds_count 5",
            "vitalgate_acknowledgement_lag_seconds 0.25", "vitalgate_vault_size_bytes 123456789",
            "vitalgate_vault_budget_bytes 268435456", "vitalgate_detector_state_bytes 4096", "vitalgate_broker_connected 1",
            "vitalgate_delivery_backlog_records{sink=\"fhir\"} 1000", "vitalgate_delivery_backlog_age_seconds{sink=\"fhir\"} 90",
            "vitalgate_delivery_failures_total{sink=\"fhir\",code=\"unreachable\"} 3", "vitalgate_anchor_lag_batches 2",
            "vitalgate_delivery_consent_total{sink=\"fhir\",outcome=\"held\"} 12",
            "vitalgate_delivery_consent_held_records{sink=\"fhir\"} 10",
            "vitalgate_anchor_lag_seconds 30", "vitalgate_fleet_config_version 7",
            "vitalgate_anchor_resubmissions_total 3", "vitalgate_anchor_last_failure{reason=\"resubmitted\"} 1",
            "vitalgate_anchor_trust{backend=\"evm\",trust=\"witnesses\"} 1",
            "vitalgate_readings_pruned_total 500", "vitalgate_readings_evicted_total 20", "vitalgate_storage_blocked 1",
            "vitalgate_build_info{version=\"0.1.0\",commit=\"abc\\\"def\"} 1",  // a quote in a label value is escaped
        ] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
    }

    @Test func everyFamilyIsDocumentedInOperations() throws {
        let docs = try String(contentsOf: AgentBinary.repositoryRoot.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        let families = busySnapshot().prometheusText.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
            .map { String($0.split(separator: " ")[2]) }
        for family in families { #expect(docs.contains("| `\(family)` |"), "\(family) is not in docs/OPERATIONS.md") }
    }

    @Test func noBedDeviceOrPatientReachesTheMetrics() {
        let text = busySnapshot().prometheusText
        for identifying in ["ICU-3", "OXP-7F31A2", "0123456789ab", "OxiPatch"] { #expect(!text.contains(identifying)) }
    }

    @Test func numbersAreWrittenAsTheFormatWantsThem() {
        var out = PrometheusExposition()
        out.sample("a", [], 3)
        out.sample("b", [("l", "x\ny\\z")], 0.5)
        out.sample("c", [], .infinity)
        out.sample("d", [], .nan)
        #expect(out.text == "a 3\nb{l=\"x\\ny\\\\z\"} 0.5\nc +Inf\nd NaN\n")
    }
}
