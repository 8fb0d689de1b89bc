public import Anchoring
public import Delivery
public import Ingest
public import Vault

/// Everything the HTTP endpoints show, gathered at one moment from the agent's threads: the
/// pipeline's posted figures, each delivery worker and the anchoring worker, and the vault's
/// cursors. Counts, states, sizes and ages only: no patient, device or payload.
public struct AgentSnapshot: Sendable {
    /// One delivery sink.
    public struct Sink: Sendable {
        /// Its name (`fhir`, `mqtt`, `ndjson`, `alerts`).
        public var name: String
        /// This process's counters (`nil`: the sink is not running, only its cursor remains).
        public var worker: DeliveryWorker.Metrics?
        /// Its cursor and backlog in the vault, if read.
        public var status: SinkStatus?

        public init(name: String, worker: DeliveryWorker.Metrics?, status: SinkStatus?) {
            self.name = name
            self.worker = worker
            self.status = status
        }
    }

    /// The anchoring worker.
    public struct Anchoring: Sendable {
        /// The backend's name.
        public var backend: String
        public var worker: AnchorWorker.Metrics
        /// How anchors are shown final (`local`, `qbft`, `witnesses`, `pinned`, `single-node`).
        public var trust: String

        public init(backend: String, worker: AnchorWorker.Metrics, trust: String = "local") {
            self.backend = backend
            self.worker = worker
            self.trust = trust
        }
    }

    public var gatewayID: String
    /// The agent's version and commit (`vitalgate --version`).
    public var version: String
    public var commit: String
    /// When the snapshot was taken (ms since the epoch).
    public var takenAt: Int64
    /// The pipeline's latest figures.
    public var ingest: IngestStatus
    /// Seconds since the pipeline's loop last turned (`nil`: it has not started).
    public var heartbeatAgeSeconds: Double?
    /// The sinks: the running ones, and any other with a cursor in the vault.
    public var sinks: [Sink]
    /// The anchoring worker (`nil`: sealing or anchoring is off).
    public var anchoring: Anchoring?
    /// How far anchoring lags, from the vault (`nil`: not read).
    public var anchorLag: AnchorLag?
    /// Why the vault's part could not be read, if it could not (a reason without content).
    public var vaultReadError: String?
    /// Requests refused for want of credentials.
    public var unauthorizedRequests = 0

    public init(gatewayID: String, version: String, commit: String, takenAt: Int64, ingest: IngestStatus,
                heartbeatAgeSeconds: Double?, sinks: [Sink] = [], anchoring: Anchoring? = nil, anchorLag: AnchorLag? = nil) {
        self.gatewayID = gatewayID
        self.version = version
        self.commit = commit
        self.takenAt = takenAt
        self.ingest = ingest
        self.heartbeatAgeSeconds = heartbeatAgeSeconds
        self.sinks = sinks
        self.anchoring = anchoring
        self.anchorLag = anchorLag
    }

    /// Seconds from `at` (ms since the epoch) to the snapshot, never negative.
    func age(of at: Int64) -> Double { Double(max(0, takenAt - at)) / 1000 }
}
