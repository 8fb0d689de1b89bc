/// `/healthz` and `/readyz`: named checks over a snapshot, each passed or failed with a reason
/// an operator can act on. Liveness asks only whether the pipeline is making progress (a
/// supervisor restarts an agent that fails it); readiness asks whether the agent is doing its
/// job now: connected, storing, and keeping up.
public struct HealthReport: Sendable, Equatable {
    /// One check.
    public struct Check: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        /// Why it passed or failed, with the figure and the threshold; no patient data.
        public var detail: String
    }

    /// When a lag counts as too much (`[http]`; 0 turns a check off).
    public struct Thresholds: Sendable, Equatable {
        /// The ingest loop has not turned for this long: it is stuck (liveness).
        public var stallSeconds: Double = 30
        /// The oldest unacknowledged message is this old.
        public var acknowledgementLagSeconds: Double = 60
        /// The oldest unanchored checkpoint is this old.
        public var anchorLagSeconds: Double = 3600
        /// A sink's oldest waiting record is this old.
        public var deliveryLagSeconds: Double = 3600

        public init() {}
    }

    public var checks: [Check]

    /// Whether every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The checks one per line (`ok pipeline: …` / `FAIL broker: …`), then the verdict.
    public var text: String {
        checks.map { "\($0.passed ? "ok  " : "FAIL") \($0.name): \($0.detail)\n" }.joined() + (passed ? "ok\n" : "not ok\n")
    }

    /// Liveness: the pipeline's loop turned within `stallSeconds`.
    public static func liveness(_ snapshot: AgentSnapshot, _ limits: Thresholds) -> HealthReport {
        HealthReport(checks: [pipeline(snapshot, limits)])
    }

    /// Readiness: liveness, the broker connected, the vault storing, and every lag under its
    /// threshold.
    public static func readiness(_ snapshot: AgentSnapshot, _ limits: Thresholds) -> HealthReport {
        var checks = [pipeline(snapshot, limits)]
        let ingest = snapshot.ingest
        checks.append(Check(name: "broker", passed: ingest.connected,
                            detail: ingest.connected ? "connected" : "not connected to the local broker"))
        checks.append(Check(name: "vault", passed: !ingest.storageFailing,
                            detail: ingest.storageFailing ? "the vault cannot store: nothing is acknowledged (see the log)" : "storing"))
        checks.append(lag("acknowledgement", ingest.acknowledgementLagSeconds, limits.acknowledgementLagSeconds,
                          what: "the oldest unacknowledged message"))
        if snapshot.anchoring != nil {
            let age = snapshot.anchorLag?.oldestUnanchoredAt.map { snapshot.age(of: $0) } ?? 0
            checks.append(lag("anchoring", age, limits.anchorLagSeconds, what: "the oldest unanchored checkpoint"))
        }
        for sink in snapshot.sinks where sink.worker != nil {
            let age = sink.status?.oldestPendingAt.map { snapshot.age(of: $0) } ?? 0
            checks.append(lag("delivery \(sink.name)", age, limits.deliveryLagSeconds, what: "the oldest waiting record"))
        }
        if let error = snapshot.vaultReadError {
            checks.append(Check(name: "vault read", passed: false, detail: error))
        }
        return HealthReport(checks: checks)
    }

    private static func pipeline(_ snapshot: AgentSnapshot, _ limits: Thresholds) -> Check {
        guard let age = snapshot.heartbeatAgeSeconds else {
            return Check(name: "pipeline", passed: false, detail: "not started yet")
        }
        let passed = limits.stallSeconds <= 0 || age < limits.stallSeconds
        return Check(name: "pipeline", passed: passed,
                     detail: passed ? "turned \(seconds(age)) ago" : "no progress for \(seconds(age)) (threshold \(seconds(limits.stallSeconds)))")
    }

    private static func lag(_ name: String, _ age: Double, _ limit: Double, what: String) -> Check {
        let passed = limit <= 0 || age < limit
        return Check(name: name, passed: passed,
                     detail: "\(what) is \(seconds(age)) old" + (limit > 0 ? " (threshold \(seconds(limit)))" : ""))
    }

    /// `12.3 s`, whole seconds from 100 on.
    static func seconds(_ value: Double) -> String {
        value >= 100 ? "\(Int(value)) s" : "\((value * 10).rounded() / 10) s"
    }
}
