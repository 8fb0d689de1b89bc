import FoundationEssentials
import Glibc
public import Ledger
public import Logging
import MQTT
import Synchronization
import Telemetry
import Threading
import Transparency
public import Vault

/// Anchors the embedded log's checkpoints through a ``LedgerBackend``, on its own thread and
/// its own connection to the vault, so a ledger that is down or slow never blocks ingest or
/// sealing.
///
/// The `checkpoints` table is the queue. One submission is in flight at a time, always for the
/// newest checkpoint when it starts (an anchor of size n covers every batch below n, so
/// checkpoints signed meanwhile need no anchor of their own). The submission's ticket is
/// persisted, so a restart resumes it instead of posting again. Evidence is checked with the
/// backend's verifier before the checkpoint is marked anchored; a node caught lying leaves
/// nothing anchored and is retried later with backoff.
public final class AnchorWorker: Sendable {
    /// Counters, for logs, `demo` and tests.
    public struct Metrics: Sendable, Equatable {
        public var submissions = 0
        public var anchored = 0
        public var resubmissions = 0
        /// Rounds that failed (node unavailable, rejected, malformed answers).
        public var failures = 0
        /// Rounds where the node served data that contradicts itself or the chain.
        public var untrustworthy = 0
        /// Evidence the backend returned that its own verifier refused.
        public var invalidEvidence = 0
        /// Why the last round failed or had to post the anchor again, until a round anchors or
        /// submits afresh (`nil`: no failure since).
        public var lastFailure: FailureReason?
        public init() {}
    }

    /// Why an anchoring round did not move forward, as a closed set (for metric labels; the
    /// full reason is in the vault's last failure, which `stats` prints).
    public enum FailureReason: String, Sendable, Equatable, CaseIterable {
        /// The node was down, refused or timed out.
        case unavailable
        /// TLS with the node failed.
        case tls
        /// The node rejected the submission (or the anchor reverted, or the fee cap was reached).
        case rejected
        /// The node's answer was not well formed.
        case malformedResponse = "malformed_response"
        /// The node served data that does not verify, or a witness disagreed, or the block is not
        /// on a pinned block's chain.
        case untrustworthyNode = "untrustworthy_node"
        /// The backend's evidence did not pass the worker's verifier.
        case invalidEvidence = "invalid_evidence"
        /// The ledger configuration or request is unusable.
        case configuration
        /// The transaction was dropped, its nonce used, or its block reorged out: posted again.
        case resubmitted
        /// Anything else (the vault, a checkpoint that does not parse).
        case other

        /// The reason for a ledger error.
        init(_ error: LedgerError) {
            switch error.code {
            case .unavailable: self = .unavailable
            case .tls: self = .tls
            case .rejected: self = .rejected
            case .malformedResponse: self = .malformedResponse
            case .untrustworthyNode: self = .untrustworthyNode
            case .invalidEvidence: self = .invalidEvidence
            case .invalidConfiguration, .invalidRequest: self = .configuration
            default: self = .other
            }
        }
    }

    /// What the worker needs.
    public struct Configuration: Sendable {
        public var gatewayID: String
        public var vaultPath: String
        /// Time between rounds while there is nothing to do or a submission is pending.
        public var pollMs: Int
        /// First and largest delay after a failed round (doubling in between).
        public var retryMs: (first: Int, max: Int)
        /// Resubmissions back off: after the n-th resubmission in a row the next round waits
        /// `min(max, first × 2^(n-1))` ms ± 20 % jitter (``MQTT/ReconnectBackoff``), so a node that
        /// keeps dropping the transaction sees it at most every few minutes, not every round.
        public var resubmitMs: (first: Int, max: Int)
        /// How anchors are shown final (`local`, `qbft`, `witnesses`, `pinned`, `single-node`), for
        /// metrics and logs.
        public var trust: String
        /// Run the rounds that are due once more when stopping (for a backend that answers at once,
        /// such as `local`, so the checkpoint a clean stop seals is anchored too).
        public var finishOnStop: Bool

        public init(gatewayID: String, vaultPath: String, pollMs: Int = 2_000, retryMs: (first: Int, max: Int) = (1_000, 300_000),
                    resubmitMs: (first: Int, max: Int) = (2_000, 300_000), trust: String = "local",
                    finishOnStop: Bool = false) {
            self.gatewayID = gatewayID
            self.vaultPath = vaultPath
            self.pollMs = pollMs
            self.retryMs = retryMs
            self.resubmitMs = resubmitMs
            self.trust = trust
            self.finishOnStop = finishOnStop
        }
    }

    public let configuration: Configuration
    private let backend: any LedgerBackend
    private let verifier: any AnchorEvidenceVerifier
    private let logger: Logger
    private let stopFlag = Atomic<Bool>(false)
    private let counters = Mutex(Metrics())
    /// What the vault last recorded as the pending submission's wait, written only when it
    /// changes (outer `nil`: not known yet, e.g. left by an earlier run).
    private let recordedWaiting = Mutex<String??>(nil)
    private let done = PThreadSemaphore()

    /// Creates a worker; `start()` runs it.
    public init(configuration: Configuration, backend: any LedgerBackend, verifier: any AnchorEvidenceVerifier,
                logger: Logger = Logger(label: "vitalgate.anchor")) {
        self.configuration = configuration
        self.backend = backend
        self.verifier = verifier
        self.logger = logger
    }

    /// The counters so far.
    public var metrics: Metrics { counters.withLock { $0 } }

    /// The backend's name (`local`, `evm`).
    public var backendName: String { backend.name }

    /// Starts the worker thread.
    public func start() {
        WorkerThread.start(name: "vitalgate-anchor") { [self] in
            defer { done.signal() }
            let store: AnchorStore
            do { store = try AnchorStore(vaultPath: configuration.vaultPath) } catch {
                logger.error("anchoring is off: cannot open the vault", metadata: ["error": "\(error)"])
                return
            }
            do { try store.recordTrust(configuration.trust) } catch {
                logger.warning("cannot record the anchoring trust for stats", metadata: ["error": "\(error)"])
            }
            var delay = configuration.retryMs.first
            var resubmits = ReconnectBackoff(initialMs: max(1, configuration.resubmitMs.first),
                                             maxMs: max(1, configuration.resubmitMs.first, configuration.resubmitMs.max))
            while !stopFlag.load(ordering: .relaxed) {
                let outcome = round(store)
                let wait: Int
                switch outcome {
                case .idle: wait = configuration.pollMs; delay = configuration.retryMs.first; resubmits.reset()
                case .waiting: wait = configuration.pollMs; delay = configuration.retryMs.first
                case .progressed: wait = 0; delay = configuration.retryMs.first; resubmits.reset()
                case .resubmitted:
                    wait = max(configuration.pollMs, resubmits.nextDelayMs(random: Double.random(in: 0..<1)))
                    delay = configuration.retryMs.first
                case .failed: wait = delay; delay = min(delay * 2, configuration.retryMs.max)
                }
                var slept = 0
                while slept < wait && !stopFlag.load(ordering: .relaxed) {
                    usleep(UInt32(min(100, wait - slept)) * 1000)
                    slept += 100
                }
            }
            if configuration.finishOnStop {
                var rounds = 0
                while rounds < 4, round(store) == .progressed { rounds += 1 }
            }
        }
    }

    /// Stops the worker and waits for its thread (at most one backend call's timeout).
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }

    /// What one round did.
    public enum RoundOutcome: Sendable, Equatable {
        /// Nothing to anchor.
        case idle
        /// A submission is pending and not final yet.
        case waiting
        /// Something moved (submitted, anchored): go again at once.
        case progressed
        /// The anchor had to be posted again (dropped, nonce used, reorged out): the next round
        /// waits with a growing delay (``Configuration/resubmitMs``).
        case resubmitted
        /// The round failed; retry with backoff.
        case failed
    }

    /// One round against `store` (exposed for tests that drive the worker step by step).
    public func round(_ store: AnchorStore, now: Int64? = nil) -> RoundOutcome {
        let now = now ?? Int64(Date().timeIntervalSince1970 * 1000)
        var pendingSize: UInt64?
        do {
            guard let latest = try store.latestCheckpoint() else { return .idle }
            let anchoredSize = try store.latestAnchored()?.size ?? 0
            guard let pending = try store.pending() else {
                guard latest.size > anchoredSize else { return .idle }
                pendingSize = latest.size
                try submit(latest, replacing: nil, store: store, now: now)
                try store.succeeded()
                counters.withLock { $0.lastFailure = nil }
                return .progressed
            }
            pendingSize = pending.size
            guard let checkpoint = try store.checkpoint(size: pending.size) else {
                try store.abandon(size: pending.size)
                return .progressed
            }
            let request = try request(for: checkpoint)
            let ticket = AnchorTicket(backend: pending.backend, state: pending.ticket ?? [], submittedAt: pending.submittedAt ?? 0)
            guard pending.backend == backend.name, pending.ticket != nil else {
                // Submitted through another backend (the ledger setting changed): start over.
                try store.abandon(size: pending.size)
                return .progressed
            }
            switch try backend.progress(of: ticket, for: request) {
            case .pending(let next, let detail):
                if next.state != ticket.state { try store.updateTicket(size: pending.size, ticket: next.state) }
                logger.debug("anchor pending", metadata: ["size": "\(pending.size)", "detail": "\(detail)"])
                try noteWaiting(detail, store)
                return .waiting
            case .anchored(let evidence):
                do { try verifier.verify(evidence, for: request) } catch {
                    counters.withLock { $0.invalidEvidence += 1 }
                    throw error
                }
                try store.anchored(size: pending.size, evidence: JSONWriter.canonicalBytes(evidence.json), at: now)
                try store.succeeded()
                try noteWaiting(nil, store)
                counters.withLock { $0.anchored += 1; $0.lastFailure = nil }
                logger.info("checkpoint anchored", metadata: ["size": "\(pending.size)", "backend": "\(backend.name)",
                                                              "where": "\(evidence.locator)"])
                return .progressed
            case .resubmit(let reason):
                counters.withLock { $0.resubmissions += 1; $0.lastFailure = .resubmitted }
                logger.warning("anchor must be posted again", metadata: ["size": "\(pending.size)", "reason": "\(reason)"])
                if latest.size > pending.size {
                    try store.abandon(size: pending.size)
                    pendingSize = latest.size
                    try submit(latest, replacing: nil, store: store, now: now)
                } else {
                    try submit(checkpoint, replacing: nil, store: store, now: now)
                }
                // `stats` shows why, not only the attempt count (the submission cleared the row's error).
                try store.failed(size: pendingSize, reason: "posted again: \(reason)", at: now)
                try noteWaiting(nil, store)
                return .resubmitted
            }
        } catch let error as LedgerError {
            counters.withLock {
                $0.failures += 1
                $0.lastFailure = FailureReason(error)
                if error.code == .untrustworthyNode { $0.untrustworthy += 1 }
            }
            try? store.failed(size: pendingSize, reason: error.description, at: now)
            if error.code == .untrustworthyNode || error.code == .invalidEvidence {
                logger.error("the ledger node served data that does not verify; nothing is marked anchored",
                             metadata: ["error": "\(error)"])
            } else {
                logger.warning("anchoring round failed; retrying later", metadata: ["error": "\(error)"])
            }
            return .failed
        } catch {
            counters.withLock { $0.failures += 1; $0.lastFailure = .other }
            try? store.failed(size: pendingSize, reason: "\(error)", at: now)
            logger.warning("anchoring round failed; retrying later", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// Records what the pending submission waits for, when it changed (`stats` shows it).
    private func noteWaiting(_ detail: String?, _ store: AnchorStore) throws {
        let changed = recordedWaiting.withLock { recorded -> Bool in
            defer { recorded = .some(detail) }
            return recorded != .some(detail)
        }
        if changed { try store.waiting(detail) }
    }

    private func submit(_ checkpoint: StoredCheckpoint, replacing: AnchorTicket?, store: AnchorStore, now: Int64) throws {
        let request = try request(for: checkpoint)
        let ticket = try backend.submit(request, replacing: replacing)
        try store.submitted(size: checkpoint.size, backend: backend.name, ticket: ticket.state, at: now)
        counters.withLock { $0.submissions += 1 }
    }

    private func request(for checkpoint: StoredCheckpoint) throws -> AnchorRequest {
        let parsed = try SignedCheckpoint(parsing: Array(checkpoint.note.utf8)).checkpoint
        return try AnchorRequest(gatewayID: configuration.gatewayID, origin: parsed.origin, treeSize: parsed.size,
                                 rootHash: parsed.rootHash, signedNote: Array(checkpoint.note.utf8))
    }
}
