import Consent
import FoundationEssentials
import Glibc
public import Logging
public import MQTT
import Synchronization
public import Threading
public import Vault

/// Delivers the outbox to one sink, on a thread of its own beside ingest, through its own
/// connection to the vault: it reads committed records from the sink's cursor, hands them to
/// the sink, and moves the cursor only once the sink confirmed them. A sink that is down or
/// slow holds back nothing but itself; its backlog goes out in order once it recovers.
///
/// - Order: records go in vault id order, so every patient's readings arrive in order.
/// - Retries: capped exponential backoff with jitter, or the receiver's `Retry-After`.
/// - Dead letters: a record the receiver refuses for good (or one that no longer decrypts) is
///   recorded with the reason and passed over; it never blocks the records behind it.
/// - Consent (with a ``SinkConsent``): each record is checked before it goes; one not permitted
///   is held (in the vault, released when consent arrives) or skipped, and passed over; each
///   confirmed delivery's disclosures are accounted with the cursor's move, joined per patient
///   over the consent's disclosure window (docs/CONSENT.md).
public final class DeliveryWorker: Sendable {
    /// How the worker runs.
    public struct Configuration: Sendable {
        /// The vault file (the worker opens its own connection, without the writer lock).
        public var vaultPath: String
        /// The gateway's key store, to decrypt what it delivers.
        public var keys: any KeyStore
        /// Records per delivery at most.
        public var batchLimit: Int
        /// Stored bytes per delivery, or per part for a sink that takes its delivery in parts,
        /// at most (but at least one record): bounds the memory a delivery takes, whatever its
        /// records hold (ECG chunks are a few KiB each).
        public var batchBytes: Int
        /// How often an idle worker looks for new records (ms).
        public var pollMs: Int
        /// Backoff between failed attempts (by default 1 s doubling to 1 min: a receiver back
        /// after an outage of hours gets its backlog within a minute).
        public var backoff: ReconnectBackoff
        /// Whether the thread runs below ingest (`SCHED_IDLE`): right for bulk delivery, wrong
        /// for alerts, which must leave even while ingest keeps every core busy.
        public var yieldsToIngest: Bool

        public init(vaultPath: String, keys: any KeyStore, batchLimit: Int = 500, pollMs: Int = 500,
                    backoff: ReconnectBackoff = ReconnectBackoff(initialMs: 1000, maxMs: 60_000),
                    yieldsToIngest: Bool = true, batchBytes: Int = 1 << 20) {
            self.vaultPath = vaultPath
            self.keys = keys
            self.batchLimit = batchLimit
            self.batchBytes = batchBytes
            self.pollMs = pollMs
            self.backoff = backoff
            self.yieldsToIngest = yieldsToIngest
        }
    }

    /// The worker's counters.
    public struct Metrics: Sendable, Equatable {
        public var delivered = 0
        public var deadLetters = 0
        public var attempts = 0
        /// Failed attempts by `DeliveryError` code.
        public var failures: [String: Int] = [:]
        /// Records by consent outcome (`permitted`, of which `identity_withheld` and
        /// `break_glass`; `held`, `released`, `skipped`), when the sink checks consent.
        public var consent: [String: Int] = [:]
    }

    /// What one round did.
    public enum RoundOutcome: Sendable, Equatable {
        /// Nothing to deliver, or the sink waits for more.
        case idle
        /// Records were delivered (or passed over): go again at once.
        case progressed
        /// The attempt failed: wait this long.
        case failed(retryInMs: Int)
    }

    public let configuration: Configuration
    // `nonisolated(unsafe)` (the sink and the backoff) is safe: both are used only by the one
    // thread that runs rounds, the worker thread after `start()`, or a test calling `round`
    // with no worker thread running.
    nonisolated(unsafe) let sink: any DeliverySink
    /// The sink's name (its cursor in the vault, and its label in metrics).
    public let sinkName: String
    private let selection: OutboxSelection
    let clock: any PipelineClock
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let wake = PThreadSemaphore()
    private let done = PThreadSemaphore()
    let counters = Mutex(Metrics())
    nonisolated(unsafe) private var backoff: ReconnectBackoff
    /// Consent at this sink (`nil`: nothing is checked, as before issue 21).
    let consent: SinkConsent?
    // Where the pass over held records stands; like `backoff`, the worker thread's alone.
    nonisolated(unsafe) var holdPass = HoldPass()
    // When the worker next looks for disclosure aggregates whose window ended (ms); the worker thread's alone.
    nonisolated(unsafe) var nextDisclosureCheck: Int64 = .min

    /// Creates a worker for `sink`; `start()` runs it.
    /// With `consent`, every record is checked before it goes (docs/CONSENT.md "Enforcement").
    public init(configuration: Configuration, sink: any DeliverySink, consent: SinkConsent? = nil,
                clock: any PipelineClock = SystemClock(), logger: Logger = Logger(label: "vitalgate.delivery")) {
        self.configuration = configuration
        self.sink = sink
        self.consent = consent
        sinkName = sink.name
        selection = sink.selection
        self.clock = clock
        self.logger = logger
        backoff = configuration.backoff
    }

    /// The counters so far.
    public var metrics: Metrics { counters.withLock { $0 } }

    /// Starts the worker thread.
    public func start() {
        WorkerThread.start(name: "vitalgate-deliver") { [self] in
            defer { done.signal() }
            if configuration.yieldsToIngest { Self.yieldToIngest() }
            let vault: Vault
            do {
                vault = try Vault(path: configuration.vaultPath, keys: configuration.keys)
                try vault.limitPageCache(kibibytes: 256)  // it reads forward: a small cache, not 2 MB per sink
                try vault.registerSink(sinkName, selection: selection)
            } catch {
                logger.error("delivery is off: cannot open the vault", metadata: ["sink": "\(sinkName)", "error": "\(error)"])
                return
            }
            var worked = false
            while !stopping.load(ordering: .relaxed) {
                let wait: Int
                switch round(vault) {
                case .idle: wait = configuration.pollMs
                case .progressed: wait = 0
                case .failed(let retryInMs): wait = retryInMs
                }
                if wait > 0 {
                    // Going idle after delivering: the batch's memory goes back to the kernel
                    // instead of waiting in this thread's malloc arena.
                    if worked { MallocTuning.releaseFreedMemory() }
                    worked = false
                    _ = wake.wait(timeoutMs: wait)
                } else {
                    worked = true
                }
            }
            // A clean stop delivers what waits for more (a file not yet due), once.
            var rounds = 0
            while rounds < 16, round(vault, force: true) == .progressed { rounds += 1 }
        }
    }

    /// Puts the calling thread below ingest: `SCHED_IDLE` (it runs only when a core would
    /// otherwise idle), or nice 10 where that is refused. On Linux both are per thread, and
    /// 0 names the calling one.
    private static func yieldToIngest() {
        var parameters = sched_param()
        if sched_setscheduler(0, 5 /* SCHED_IDLE, a GNU extension Swift does not import */, &parameters) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        }
    }

    /// Stops the worker and waits for its thread: the attempt under way, then what the sink was
    /// waiting to batch (at most 16 rounds, one attempt each; a sink that fails is left for the
    /// next start).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        done.wait()
    }

    /// One round against `vault` (exposed for tests that drive the worker step by step): the
    /// held records whose time came (with consent), then the records after the cursor; `force`
    /// delivers what the sink would rather wait with.
    public func round(_ vault: Vault, force: Bool = false) -> RoundOutcome {
        var settled = false
        if consent != nil {
            do {
                settled = try settleHolds(vault)
                try sealDueDisclosures(vault)
            } catch { return failed(error, vault) }
        }
        let outcome = deliverNext(vault, force: force)
        return outcome == .idle && settled ? .progressed : outcome
    }

    /// Delivers the records after the cursor (checking consent first, when the sink does).
    private func deliverNext(_ vault: Vault, force: Bool) -> RoundOutcome {
        do {
            let cursor = try vault.sinkCursor(sinkName).lastID
            // A sink that takes its delivery in parts gets the first now and the others as it
            // asks, each read while it sends the one before (at most `batchLimit` in all).
            let partLimit = min(sink.partRecords ?? configuration.batchLimit, configuration.batchLimit)
            var corrupt: [(recordID: Int64, reason: String)] = []
            var withheld = ConsentOutcomes()
            var (entries, scannedTo) = try readPart(vault, after: cursor, limit: partLimit, corrupt: &corrupt, consent: &withheld)
            guard scannedTo > cursor else { return .idle }
            let full = entries.count + corrupt.count + withheld.passedOver >= partLimit
            if !entries.isEmpty, !full, !force, !sink.isReady(entries, now: clock.wallMs()) { return .idle }
            counters.withLock { $0.attempts += entries.isEmpty ? 0 : 1 }
            var records = entries.count
            var readError: VaultError?
            let partwise = sink.partRecords != nil
            let next = { [self] () -> [OutboxEntry]? in
                let scanned = records + corrupt.count + withheld.passedOver
                guard partwise, readError == nil, scanned < configuration.batchLimit else { return nil }
                do throws(VaultError) {
                    let (part, to) = try readPart(vault, after: scannedTo, limit: min(partLimit, configuration.batchLimit - scanned),
                                                  corrupt: &corrupt, consent: &withheld)
                    guard to > scannedTo else { return nil }
                    scannedTo = to
                    records += part.count
                    return part
                } catch {
                    readError = error
                    return nil
                }
            }
            let receipt = entries.isEmpty && !partwise ? DeliveryReceipt() : try sink.deliver(first: entries, next: next)
            entries = []
            if let readError { throw readError }  // what was sent goes again with the next attempt
            let dead = corrupt + receipt.deadLetters
            let now = clock.wallMs()
            let disclosures = try accountDisclosures(withheld.sent, refused: receipt.deadLetters, at: now)
            try vault.advanceSinkCursor(sinkName, to: scannedTo, delivered: records - receipt.deadLetters.count,
                                        deadLetters: dead.map { ($0.recordID, $0.reason) }, held: withheld.held,
                                        skipped: withheld.skipped, at: now, disclosures: disclosures, windowMs: disclosureWindowMs)
            counters.withLock {
                $0.delivered += records - receipt.deadLetters.count
                $0.deadLetters += dead.count
                withheld.count(into: &$0.consent)
            }
            if !dead.isEmpty {
                // The reasons stay in the vault (`vitalgate egress status`): a receiver's reason
                // may quote the refused content, which is patient data.
                logger.error("records refused for good were dead-lettered (reasons: vitalgate egress status)", metadata: [
                    "sink": "\(sinkName)", "records": "\(dead.count)", "first_record": "\(dead[0].recordID)"])
            }
            backoff.reset()
            return .progressed
        } catch {
            return failed(error, vault)
        }
    }

    /// Reads the sink's next records after `cursor` (at most `limit`, and `batchBytes` of stored
    /// bytes); records that no longer decrypt go to `corrupt`. Returns them and how far it scanned.
    private func readPart(_ vault: Vault, after cursor: Int64, limit: Int, corrupt: inout [(recordID: Int64, reason: String)],
                          consent outcomes: inout ConsentOutcomes) throws(VaultError) -> ([OutboxEntry], Int64) {
        let (entries, scannedTo) = try vault.outbox(after: cursor, limit: limit, maxBytes: configuration.batchBytes,
                                                    selection: selection) { id, error in
            corrupt.append((id, "the record cannot be read: \(error.code)"))
        }
        return (check(entries, into: &outcomes, releasing: false), scannedTo)
    }

    private func failed(_ error: any Error, _ vault: Vault) -> RoundOutcome {
        let code = (error as? DeliveryError).map { "\($0.code)" } ?? (error as? VaultError).map { "vault_\($0.code)" } ?? "other"
        counters.withLock { $0.failures[code, default: 0] += 1 }
        var retry = backoff.nextDelayMs(random: Double.random(in: 0..<1))
        if let asked = (error as? DeliveryError)?.retryAfterMs { retry = max(asked, 1) }
        try? vault.recordSinkError(sinkName, "\(error)")
        logger.warning("delivery failed; retrying", metadata: ["sink": "\(sinkName)", "error": "\(error)",
                                                                "retry_in_ms": "\(retry)"])
        return .failed(retryInMs: retry)
    }
}
