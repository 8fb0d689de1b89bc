public import HTTPServer
import Synchronization

/// The agent's HTTP endpoints over a snapshot source:
///
/// | path | what |
/// |---|---|
/// | `/metrics` | Prometheus text format |
/// | `/healthz` | 200 while the pipeline makes progress, else 503 |
/// | `/readyz` | 200 while connected, storing and keeping up, else 503 (the failed checks named) |
/// | `/` | the status page (HTML) |
///
/// Every answer is read-only and built from one snapshot; none carries an MRN.
public final class MonitorRoutes: Sendable {
    private let snapshot: @Sendable () -> AgentSnapshot
    private let access: AccessPolicy
    private let thresholds: HealthReport.Thresholds
    private let unauthorized = Atomic<Int>(0)

    /// Routes over `snapshot` (called once per request, on the server's thread).
    public init(access: AccessPolicy, thresholds: HealthReport.Thresholds = .init(),
                snapshot: @escaping @Sendable () -> AgentSnapshot) {
        self.access = access
        self.thresholds = thresholds
        self.snapshot = snapshot
    }

    /// Answers one request.
    public func answer(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard access.permits(request) else {
            unauthorized.add(1, ordering: .relaxed)
            return AccessPolicy.challenge
        }
        let noStore = ("Cache-Control", "no-store")
        switch request.path {
        case "/metrics":
            return HTTPServerResponse(status: 200, contentType: PrometheusExposition.contentType,
                                      text: current().prometheusText, headers: [noStore])
        case "/healthz":
            return health(HealthReport.liveness(current(), thresholds))
        case "/readyz":
            return health(HealthReport.readiness(current(), thresholds))
        case "/", "/index.html":
            return HTTPServerResponse(status: 200, contentType: "text/html; charset=utf-8", text: StatusPage(current()).html,
                                      headers: [noStore, ("Content-Security-Policy", StatusPage.contentSecurityPolicy),
                                                ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")])
        default:
            return HTTPServerResponse(status: 404, contentType: "text/plain; charset=utf-8",
                                      text: "not found: the agent serves /, /metrics, /healthz and /readyz\n")
        }
    }

    private func current() -> AgentSnapshot {
        var taken = snapshot()
        taken.unauthorizedRequests = unauthorized.load(ordering: .relaxed)
        return taken
    }

    private func health(_ report: HealthReport) -> HTTPServerResponse {
        HTTPServerResponse(status: report.passed ? 200 : 503, contentType: "text/plain; charset=utf-8", text: report.text,
                           headers: [("Cache-Control", "no-store")])
    }
}
