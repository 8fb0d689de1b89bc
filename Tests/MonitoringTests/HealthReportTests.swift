import Ingest
import Monitoring
import Testing

/// Issue 22, item 4: `/healthz` and `/readyz` decide on named checks with thresholds.
@Suite struct HealthReportTests {
    let limits = HealthReport.Thresholds()

    @Test func aBusyHealthyAgentIsLiveAndReady() {
        let snapshot = busySnapshot()
        #expect(HealthReport.liveness(snapshot, limits).passed)
        let ready = HealthReport.readiness(snapshot, limits)
        #expect(ready.passed, "\(ready.text)")
        #expect(ready.checks.map(\.name) == ["pipeline", "broker", "vault", "acknowledgement", "anchoring", "delivery fhir"])
    }

    @Test func aStalledLoopFailsLivenessAndReadiness() {
        var snapshot = busySnapshot()
        snapshot.heartbeatAgeSeconds = 31
        let live = HealthReport.liveness(snapshot, limits)
        #expect(!live.passed && live.text.contains("FAIL pipeline: no progress for 31.0 s (threshold 30.0 s)"))
        #expect(!HealthReport.readiness(snapshot, limits).passed)
        snapshot.heartbeatAgeSeconds = nil
        #expect(!HealthReport.liveness(snapshot, limits).passed)
    }

    @Test func eachReadinessConditionFailsOnItsOwnAndIsNamed() {
        let cases: [(String, (inout AgentSnapshot) -> Void)] = [
            ("broker", { $0.ingest.connected = false }),
            ("vault", { $0.ingest.storageFailing = true }),
            ("acknowledgement", { $0.ingest.acknowledgementLagSeconds = 61 }),
            ("anchoring", { $0.anchorLag?.oldestUnanchoredAt = $0.takenAt - 3_601_000 }),
            ("delivery fhir", { $0.sinks[0].status?.oldestPendingAt = $0.takenAt - 3_700_000 }),
            ("vault read", { $0.vaultReadError = "cannot read delivery and anchoring figures from the vault: storage" }),
        ]
        for (name, change) in cases {
            var snapshot = busySnapshot()
            change(&snapshot)
            let report = HealthReport.readiness(snapshot, limits)
            #expect(!report.passed)
            #expect(report.checks.filter { !$0.passed }.map(\.name) == [name], "\(report.text)")
            #expect(HealthReport.liveness(snapshot, limits).passed)  // liveness is only the loop
        }
    }

    @Test func aZeroThresholdTurnsACheckOff() {
        var snapshot = busySnapshot()
        snapshot.ingest.acknowledgementLagSeconds = 10_000
        var lenient = limits
        lenient.acknowledgementLagSeconds = 0
        #expect(HealthReport.readiness(snapshot, lenient).passed)
    }
}
