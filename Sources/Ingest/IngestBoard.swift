public import Threading

/// What the pipeline shows of itself to other threads (the HTTP endpoints): the ingest
/// thread posts a copy of its figures here once a second and a heartbeat every loop turn, and
/// readers take the latest copy. Counts, states and sizes only: no patient data.
public final class IngestBoard: Sendable {
    private let lock = PThreadLock()
    // nonisolated(unsafe) is safe: both are read and written only inside `lock.withLock`.
    private nonisolated(unsafe) var status = IngestStatus()
    private nonisolated(unsafe) var heartbeatMs: Int64?
    /// The clock the heartbeat is read on (the pipeline's).
    public let clock: any PipelineClock

    public init(clock: any PipelineClock = SystemClock()) {
        self.clock = clock
    }

    /// The latest figures, and how long ago the ingest loop last turned (seconds; `nil` before
    /// it first ran).
    public func read() -> (status: IngestStatus, heartbeatAgeSeconds: Double?) {
        let now = clock.monotonicMs()
        return lock.withLock { (status, heartbeatMs.map { Double(now - $0) / 1000 }) }
    }

    func post(_ status: IngestStatus) {
        lock.withLock { self.status = status }
    }

    func beat(_ nowMs: Int64) {
        lock.withLock { heartbeatMs = nowMs }
    }
}

/// The ingest thread's figures, as posted on the ``IngestBoard``.
public struct IngestStatus: Sendable {
    public var metrics = IngestMetrics()
    /// Whether the broker connection is up.
    public var connected = false
    /// When the pipeline started (ms since the epoch; 0 before).
    public var startedAt: Int64 = 0
    /// The vault's files on disk, bytes, and the configured budget (0: none).
    public var vaultBytes: Int64 = 0
    public var storageMaxBytes: UInt64 = 0
    /// Whether the store is failing now (an outage under way: nothing is acknowledged).
    public var storageFailing = false
    /// Whether the vault is full now (over budget, nothing to prune, `block`: nothing is acknowledged).
    public var storageBlocked = false
    /// The detectors' saved state, bytes (updated at each save, every minute).
    public var detectorStateBytes = 0
    /// Seconds since the oldest message received and not yet acknowledged (0: none waiting).
    public var acknowledgementLagSeconds: Double = 0
    /// The newest applied fleet document version, if any.
    public var fleetVersion: UInt64?
    /// The latest checkpoint's tree size and when it was published by this process, if any.
    public var checkpointSize: UInt64?
    /// The beds, for the status page.
    public var beds: [BedStatus] = []

    public init() {}
}
