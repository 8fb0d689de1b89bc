public import Consent
import Glibc
import EVMLightClient
import Ledger
public import Logging
import Synchronization
import Threading

/// Keeps a ``ConsentBook`` in step with the EVM consent registry, on its own thread (never the
/// ingest thread): every poll, for each known patient and each configured grantee, it reads the
/// configured purposes through ``ConsentRegistryReader`` (verified EIP-1186 proofs at a header
/// the agent's finality rule shows final), maps them to one `registry:<grantee>` record
/// (``ConsentRegistry/record(patient:grantee:states:)``) and applies it.
///
/// Fail closed: a pair's record speaks only while the trusted block its last verified read was
/// made at is at most ``Configuration/maximumStalenessSeconds`` old. Past that (reads failing,
/// a node that lies, no final header) the record is removed from the book, so the deployment's
/// default policy decides again, and a warning is logged; the next verified read puts it back.
/// Until then the book keeps the last verified state. (docs/CONSENT-REGISTRY.md, "In the agent".)
public final class ConsentRegistrySync: Sendable {
    /// What the worker reads and how often.
    public struct Configuration: Sendable {
        /// The grantees (recipient ids, at most 32 bytes of printable ASCII each).
        public var grantees: [String]
        /// The purposes read for every grantee.
        public var purposes: [PurposeOfUse]
        /// The deployment's shared registry key (``ConsentRegistry/pseudonym(mrn:key:)``).
        public var pseudonymKey: [UInt8]
        /// Time between polls.
        public var pollMs: Int
        /// How old the trusted block of a pair's last verified read may be before its record
        /// stops speaking.
        public var maximumStalenessSeconds: UInt64

        /// A configuration.
        public init(grantees: [String], purposes: [PurposeOfUse], pseudonymKey: [UInt8], pollMs: Int = 30_000,
                    maximumStalenessSeconds: UInt64 = 600) {
            self.grantees = grantees
            self.purposes = purposes
            self.pseudonymKey = pseudonymKey
            self.pollMs = pollMs
            self.maximumStalenessSeconds = maximumStalenessSeconds
        }
    }

    /// What the worker shows of itself (`stats`, `/metrics`); names no patient, grantee or pseudonym.
    public struct Status: Sendable, Equatable {
        /// Reads by outcome: `ok`, the refused step (`trusted-header`, `stale`, `state-root`, …),
        /// `unavailable` (transport), `configuration` (`registry`, `authority`, bad input).
        public var reads: [String: Int] = [:]
        /// The newest trusted block a verified read was made at, and its timestamp (Unix s).
        public var lastVerifiedBlock: UInt64?
        public var lastVerifiedBlockTimestamp: UInt64?
        /// The step of the last failed read (until a poll reads everything), `nil`: none.
        public var lastFailureStep: String?
        /// Registry records removed because their last verified read grew too old.
        public var failedClosed = 0
        /// (patient, grantee) pairs whose last verified read is within the maximum staleness.
        public var records = 0

        public init() {}
    }

    public let configuration: Configuration
    private let reader: ConsentRegistryReader
    private let book: ConsentBook
    private let patients: @Sendable () throws -> [String]
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private let onPoll: (@Sendable (Status) -> Void)?
    private let state = Mutex(SyncState())
    private let stopFlag = Atomic<Bool>(false)
    private let done = PThreadSemaphore()

    private struct SyncState {
        var status = Status()
        /// Per (patient, grantee): the block timestamp of the last verified read and the pair version applied.
        var verified: [PairKey: (timestamp: UInt64, pairVersion: UInt64)] = [:]
    }

    struct PairKey: Hashable {
        var patient: String
        var grantee: String
    }

    /// A worker applying to `book` what `reader` proves, for the patients `patients` lists (MRNs,
    /// read again every poll: the vault's patients).
    /// - Parameters:
    ///   - clock: wall-clock milliseconds since the Unix epoch (staleness).
    ///   - onPoll: called with the status after every poll, on the worker's thread (the agent
    ///     records it for `stats`).
    public init(configuration: Configuration, reader: ConsentRegistryReader, book: ConsentBook,
                patients: @escaping @Sendable () throws -> [String],
                clock: @escaping @Sendable () -> Int64 = EVMLedgerBackend.systemClock,
                logger: Logger = Logger(label: "vitalgate.consent-registry"),
                onPoll: (@Sendable (Status) -> Void)? = nil) {
        self.configuration = configuration
        self.reader = reader
        self.book = book
        self.patients = patients
        self.clock = clock
        self.logger = logger
        self.onPoll = onPoll
    }

    /// The figures so far.
    public var status: Status { state.withLock { $0.status } }

    /// Starts the worker thread: a poll at once, then every ``Configuration/pollMs``.
    public func start() {
        WorkerThread.start(name: "vitalgate-consent") { [self] in
            defer { done.signal() }
            while !stopFlag.load(ordering: .relaxed) {
                poll()
                var slept = 0
                while slept < configuration.pollMs && !stopFlag.load(ordering: .relaxed) {
                    usleep(UInt32(min(100, configuration.pollMs - slept)) * 1000)
                    slept += 100
                }
            }
        }
    }

    /// Stops the worker and waits for its thread (at most one read's time-outs).
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }

    /// One poll: reads every (patient, grantee), applies what verifies, then removes the records
    /// whose last verified read is too old. Returns whether every read verified.
    @discardableResult
    public func poll() -> Bool {
        let mrns: [String]
        do { mrns = try patients() } catch {
            logger.error("consent registry: cannot list the vault's patients", metadata: ["error": "\(error)"])
            count(failure: "vault")
            failClosed()
            onPoll?(status)
            return false
        }
        // Patients erased since (ingest removed their records from the book): forgotten here too.
        let listed = Set(mrns)
        state.withLock { $0.verified = $0.verified.filter { listed.contains($0.key.patient) } }
        var allVerified = true
        // One trusted header per poll, taken at the first read: every read of the poll is at the
        // same block (one finality and age check per poll, not per read), so a pair's purposes
        // always combine at one pairVersion.
        var header: BlockHeader?
        for mrn in mrns where !stopFlag.load(ordering: .relaxed) {
            let pseudonym = ConsentRegistry.pseudonym(mrn: mrn, key: configuration.pseudonymKey)
            for grantee in configuration.grantees {
                if !sync(patient: mrn, pseudonym: pseudonym, grantee: grantee, header: &header) { allVerified = false }
            }
        }
        if allVerified { state.withLock { $0.status.lastFailureStep = nil } }
        failClosed()
        onPoll?(status)
        return allVerified
    }

    /// Reads and applies one pair; false when a read failed (the book keeps what it had).
    /// `header` is the poll's trusted header, taken at its first read.
    private func sync(patient: String, pseudonym: [UInt8], grantee: String, header: inout BlockHeader?) -> Bool {
        guard let granteeWord = ConsentRegistry.granteeWord(grantee) else { return false }
        var states: [ConsentRegistryState] = []
        do throws(LedgerError) {
            for purpose in configuration.purposes {
                guard let word = ConsentRegistry.purposeWord(purpose.rawValue) else { continue }
                let at: BlockHeader
                if let header { at = header } else { at = try trustedHeader() }
                header = at
                states.append(try read(pseudonym: pseudonym, grantee: granteeWord, purpose: word, at: at))
            }
        } catch {
            count(failure: Self.outcome(error))
            return false
        }
        let key = PairKey(patient: patient, grantee: grantee)
        guard let newest = states.max(by: { $0.blockTimestamp < $1.blockTimestamp }) else { return true }
        let oldest = states.map(\.blockTimestamp).min() ?? newest.blockTimestamp
        guard states.allSatisfy({ $0.pairVersion == newest.pairVersion }) else {
            count(failure: "unsettled")
            return false
        }
        let previous = state.withLock { $0.verified[key] }
        if let previous, newest.pairVersion < previous.pairVersion {
            // An older state than one already applied (a trusted header that went back): kept out.
            count(failure: "regressed")
            return false
        }
        if let record = ConsentRegistry.record(patient: patient, grantee: grantee, states: states) {
            book.apply(record)
        }
        state.withLock {
            $0.verified[key] = (oldest, newest.pairVersion)
            $0.status.records = $0.verified.count
            if ($0.status.lastVerifiedBlock ?? 0) <= newest.blockNumber {
                $0.status.lastVerifiedBlock = newest.blockNumber
                $0.status.lastVerifiedBlockTimestamp = newest.blockTimestamp
            }
        }
        return true
    }

    /// The poll's trusted header (counted with the reads when it fails).
    private func trustedHeader() throws(LedgerError) -> BlockHeader {
        try Self.blocking { [reader] () async throws(LedgerError) -> BlockHeader in try await reader.trustedHeader() }.get()
    }

    /// One verified read at `header`, counted.
    private func read(pseudonym: [UInt8], grantee: [UInt8], purpose: [UInt8], at header: BlockHeader) throws(LedgerError)
        -> ConsentRegistryState {
        let value = try reader.read(pseudonym: pseudonym, grantee: grantee, purpose: purpose, at: header)
        state.withLock { $0.status.reads["ok", default: 0] += 1 }
        return value
    }

    /// Removes the records whose last verified read is older than the maximum staleness.
    private func failClosed() {
        let now = UInt64(max(0, clock() / 1000))
        let limit = configuration.maximumStalenessSeconds
        let expired: [PairKey] = state.withLock { state in
            let keys = state.verified.filter { now > $0.value.timestamp && now - $0.value.timestamp > limit }.map(\.key)
            for key in keys { state.verified[key] = nil }
            state.status.failedClosed += keys.count
            state.status.records = state.verified.count
            return keys
        }
        for key in expired { book.remove(patient: key.patient, id: "registry:\(key.grantee)") }
        if !expired.isEmpty {
            logger.warning("""
                consent registry: records stopped speaking (no verified read within the maximum staleness); \
                the default policy decides for them
                """, metadata: ["records": "\(expired.count)",
                                                                               "max_staleness_seconds": "\(limit)"])
        }
    }

    private func count(failure outcome: String) {
        state.withLock {
            $0.status.reads[outcome, default: 0] += 1
            $0.status.lastFailureStep = outcome
        }
    }

    /// The metric outcome of a failed read: the refused step, `unavailable` or `configuration`.
    static func outcome(_ error: LedgerError) -> String {
        switch error.code {
        case .untrustworthyNode: error.step ?? "untrustworthy"
        case .invalidConfiguration, .invalidRequest: error.step ?? "configuration"
        case .tls: "tls"
        case .malformedResponse: "malformed_response"
        default: "unavailable"
        }
    }

    /// Runs `body` to completion from this (non-async) worker thread. The reader's work is
    /// blocking JSON-RPC under an async signature; the task holds a pool thread for one read.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws(LedgerError) -> T)
        -> Result<T, LedgerError> {
        let box = Mutex<Result<T, LedgerError>?>(nil)
        let finished = PThreadSemaphore()
        Task {
            let result: Result<T, LedgerError>
            do throws(LedgerError) { result = .success(try await body()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        return box.withLock { $0 } ?? .failure(LedgerError(code: .unavailable, reason: "the read did not finish"))
    }
}
