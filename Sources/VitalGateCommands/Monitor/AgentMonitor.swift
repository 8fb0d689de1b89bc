import Anchoring
import Delivery
import FoundationEssentials
import HTTPServer
import Ingest
import Logging
import Monitoring
import Threading
import Vault

/// The HTTP endpoints of `vitalgate run` and `demo`: gathers a snapshot from the pipeline's
/// board, the delivery and anchoring workers and the vault, and serves it on `[http] listen`.
final class AgentMonitor: Sendable {
    /// Where the pipeline posts its figures (give it to the ingest configuration).
    let board: IngestBoard
    private let server: HTTPServer
    private let sources: Sources

    /// The threads' objects a snapshot reads, and the vault connection it reads through.
    final class Sources: @unchecked Sendable {
        // @unchecked Sendable is safe: `vault`, `cached` and `vaultError` are used only on the HTTP server's
        // thread (it calls the handler one request at a time); the rest is immutable or Sendable.
        let config: AgentConfig
        let board: IngestBoard
        let workers: @Sendable () -> [DeliveryWorker]
        let anchor: @Sendable () -> AnchorWorker?
        private var vault: VaultMonitor?
        private var cached: (at: Int64, sinks: [SinkStatus], lag: AnchorLag?)?
        private var vaultError: String?

        init(config: AgentConfig, board: IngestBoard, workers: @escaping @Sendable () -> [DeliveryWorker],
             anchor: @escaping @Sendable () -> AnchorWorker?) {
            self.config = config
            self.board = board
            self.workers = workers
            self.anchor = anchor
        }

        /// One snapshot; the vault's part is read at most every 2 s (a scrape storm costs no
        /// more than one reader).
        func snapshot() -> AgentSnapshot {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let (status, heartbeat) = board.read()
            var snapshot = AgentSnapshot(gatewayID: config.gateway.id, version: BuildInfo.version, commit: BuildInfo.commit,
                                         takenAt: now, ingest: status, heartbeatAgeSeconds: heartbeat)
            let vaultPart = vaultFigures(now: now)
            let running = workers()
            var sinks = running.map { worker in
                AgentSnapshot.Sink(name: worker.sinkName, worker: worker.metrics,
                                   status: vaultPart.sinks.first { $0.cursor.sink == worker.sinkName })
            }
            for status in vaultPart.sinks where !sinks.contains(where: { $0.name == status.cursor.sink }) {
                sinks.append(AgentSnapshot.Sink(name: status.cursor.sink, worker: nil, status: status))
            }
            snapshot.sinks = sinks
            if let worker = anchor() {
                snapshot.anchoring = AgentSnapshot.Anchoring(backend: worker.backendName, worker: worker.metrics,
                                                              trust: worker.configuration.trust)
            }
            snapshot.anchorLag = vaultPart.lag
            snapshot.vaultReadError = vaultError
            return snapshot
        }

        private func vaultFigures(now: Int64) -> (sinks: [SinkStatus], lag: AnchorLag?) {
            if let cached, now - cached.at < 2000 { return (cached.sinks, cached.lag) }
            do {
                if vault == nil { vault = try VaultMonitor(path: DataPaths(config.gateway.dataDirectory).vault) }
                guard let vault else { return ([], nil) }
                let (sinks, lag) = try vault.deliveryAndAnchoring()
                cached = (now, sinks, lag)
                vaultError = nil
                return (sinks, lag)
            } catch {
                vault = nil
                vaultError = "cannot read delivery and anchoring figures from the vault: \(error.code)"
                return ([], nil)
            }
        }
    }

    /// Starts serving `config.http` (call `stop()` when the agent stops).
    /// - Throws: ``HTTPServerError`` when the address cannot be listened on, `ConfigError` when
    ///   the password file cannot be read.
    init(config: AgentConfig, board: IngestBoard = IngestBoard(),
         workers: @escaping @Sendable () -> [DeliveryWorker], anchor: @escaping @Sendable () -> AnchorWorker?) throws {
        self.board = board
        let sources = Sources(config: config, board: board, workers: workers, anchor: anchor)
        self.sources = sources
        guard let address = ListenAddress(config.http.listen) else {
            throw ConfigError(.invalidSetting, key: "http.listen", "must be HOST:PORT, [IPV6]:PORT, or off")
        }
        let access: AccessPolicy = config.http.passwordFile.isEmpty
            ? .open
            : .basic(user: config.http.user, password: try AgentConfig.readPassword(config.http.passwordFile, key: "http.password_file"))
        var thresholds = HealthReport.Thresholds()
        thresholds.stallSeconds = config.http.stallSeconds
        thresholds.acknowledgementLagSeconds = config.http.ackLagSeconds
        thresholds.anchorLagSeconds = config.http.anchorLagSeconds
        thresholds.deliveryLagSeconds = config.http.deliveryLagSeconds
        let routes = MonitorRoutes(access: access, thresholds: thresholds) { sources.snapshot() }
        server = try HTTPServer(listen: address) { routes.answer($0) }
        Logger(label: "vitalgate.http").info("serving metrics, health and the status page",
                                             metadata: ["address": "\(server.address)",
                                                        "authentication": "\(config.http.passwordFile.isEmpty ? "none (loopback)" : "basic")"])
    }

    /// Where it listens (with the port the system chose for port 0).
    var address: ListenAddress { server.address }

    func stop() { server.stop() }
}
