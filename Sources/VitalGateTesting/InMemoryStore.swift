public import Ingest
public import Sealing
public import Telemetry
import Cryptography
import Threading
public import Vault

/// A pipeline store in memory, for testing the pipeline's rules without SQLite: it commits
/// batches, tells duplicates and conflicts apart as the vault does (same device, time, sequence
/// number and kind; equal or different canonical content), models deferred syncing, and fails
/// on demand.
///
/// What it does not model, and is tested against the real vault instead: encryption, sealing
/// (the calls are counted; there is never a checkpoint), device state, and erasure.
public final class InMemoryStore: PipelineStore, @unchecked Sendable {
    // @unchecked Sendable is safe: every mutable field is in `state`, read and written only
    // inside `lock.withLock` (the pipeline's two threads and the test's all call in).
    private let lock = PThreadLock()
    private var state = State()
    public let path: String
    private let clock: ManualClock?

    /// A message as the store identifies it: topic and payload bytes.
    public struct MessageKey: Hashable, Sendable {
        public var topic: String
        public var payload: [UInt8]
        public init(topic: String, payload: [UInt8]) {
            self.topic = topic
            self.payload = payload
        }
    }

    struct ReadingIdentity: Hashable {
        var device: String
        var deviceTime: Int64
        var seq: UInt32
        var kind: String
    }

    struct State {
        var readings: [ReadingIdentity: [[UInt8]]] = [:]
        var totals = StoreResult()
        var deferred = false
        var committedUnsynced: [MessageKey] = []
        var durable: Set<MessageKey> = []
        var failStores = 0
        var failSyncs = 0
        var storeCalls = 0
        var sealingCalls = 0
        var values: [String: [UInt8]] = [:]
        var patientValues: [String: [String: [UInt8]]] = [:]
        var events: [String] = []
        var configOutcomes: [ConfigAuditRecord] = []
        var fleetState: [UInt8]?
        var consent: [[UInt8]: (patient: String, envelope: [UInt8])] = [:]
        var consentHighWater: [[UInt8]: ConsentHighWater] = [:]
        var history: [String] = []
        var failedStoreTimes: [Int64] = []
        var bytes: Int64 = 0
        /// Bytes per stored reading, when sizes are modelled (`modelSizes`).
        var bytesPerReading: Int64?
        var unpruned = 0
        var peakBytes: Int64 = 0
        var walBytes: Int64 = 0
        var walStuck = false
        var walCheckpoints = 0
    }

    /// `path`: a file path the pipeline may keep its guard file beside (the store writes nothing
    /// there). `clock` stamps the failed `store` calls.
    public init(path: String, clock: ManualClock? = nil) {
        self.path = path
        self.clock = clock
    }

    // MARK: Fault injection and inspection

    /// The next `count` `store` calls fail, as a full or failing disk does.
    public func failStores(_ count: Int) { lock.withLock { state.failStores = count } }

    /// The next `count` `syncDeferred` calls fail.
    public func failSyncs(_ count: Int) { lock.withLock { state.failSyncs = count } }

    /// Whether the message was committed and made durable (synced) — what acknowledging it requires.
    public func isDurable(_ key: MessageKey) -> Bool { lock.withLock { state.durable.contains(key) } }

    /// What every successful `store` call did, added up.
    public var totals: StoreResult { lock.withLock { state.totals } }

    /// Distinct readings held (copies stored as conflicts count once each).
    public var readingCount: Int { lock.withLock { state.readings.values.reduce(0) { $0 + $1.count } } }

    /// `store` calls, failed ones included.
    public var storeCalls: Int { lock.withLock { state.storeCalls } }

    /// Calls to the sealing methods.
    public var sealingCalls: Int { lock.withLock { state.sealingCalls } }

    /// What happened, in order: `batch N` (a committed batch of N messages), `sync`, `config TYPE`
    /// (a fleet outcome recorded), `event TYPE` (a gateway event).
    public var history: [String] { lock.withLock { state.history } }

    /// The monotonic times (of the `clock`) at which `store` calls failed.
    public var failedStoreTimes: [Int64] { lock.withLock { state.failedStoreTimes } }

    /// Gateway event types recorded, in order.
    public var events: [String] { lock.withLock { state.events } }

    /// Fleet document outcomes recorded, in order.
    public var configOutcomes: [ConfigAuditRecord] { lock.withLock { state.configOutcomes } }

    /// The names of the values stored with `setEncryptedState` and `setPatientStates`.
    public var stateNames: Set<String> {
        lock.withLock { Set(state.values.keys).union(state.patientValues.keys) }
    }

    // MARK: BatchStore

    public func deferSync() throws(VaultError) { lock.withLock { state.deferred = true } }

    public func syncDeferred() throws(VaultError) {
        try lock.withLock { () throws(VaultError) in
            guard state.deferred else { return }
            if state.failSyncs > 0 {
                state.failSyncs -= 1
                throw VaultError(.storage, "cannot sync the write-ahead log (injected)")
            }
            state.deferred = false
            state.history.append("sync")
            state.durable.formUnion(state.committedUnsynced)
            state.committedUnsynced.removeAll()
        }
    }

    public func store(_ messages: [IncomingMessage], alerts: [AlertRecord]) throws(VaultError) -> StoreResult {
        try lock.withLock { () throws(VaultError) -> StoreResult in
            state.storeCalls += 1
            if state.failStores > 0 {
                state.failStores -= 1
                state.failedStoreTimes.append(clock?.monotonicMs() ?? 0)
                throw VaultError(.storage, "write transaction failed (injected)")
            }
            var result = StoreResult()
            var readings = state.readings
            for message in messages {
                switch message.outcome {
                case .reading(let reading, let patient):
                    var content: [UInt8] = []
                    reading.writeCanonical(into: &content)
                    let identity = ReadingIdentity(device: reading.device.rawValue, deviceTime: reading.deviceTime,
                                                   seq: reading.seq, kind: reading.kind.rawValue)
                    let same = readings[identity, default: []]
                    if same.contains(content) {
                        result.duplicates += 1
                        continue
                    }
                    if !same.isEmpty { result.conflicts += 1 }
                    if patient == nil { result.unpaired += 1 }
                    readings[identity, default: []].append(content)
                    result.stored += 1
                case .control:
                    break
                case .quarantined:
                    result.quarantined += 1
                }
            }
            result.alerts = alerts.count
            // The whole batch commits at once.
            state.readings = readings
            state.totals.add(result)
            if let bytesPerReading = state.bytesPerReading {
                state.bytes += Int64(result.stored) * bytesPerReading
                state.unpruned += result.stored
                state.peakBytes = max(state.peakBytes, state.bytes)
            }
            state.history.append("batch \(messages.count)")
            let keys = messages.map { MessageKey(topic: $0.topic, payload: $0.payload) }
            if state.deferred { state.committedUnsynced += keys } else { state.durable.formUnion(keys) }
            return result
        }
    }

    // MARK: PipelineStore

    public var fileBytes: Int64 { lock.withLock { state.bytes } }

    /// Sets what `fileBytes` and `usedBytes` report (the byte budget's tests).
    public func setBytes(_ bytes: Int64) { lock.withLock { state.bytes = bytes } }

    /// Sets the WAL's size `space` reports (the budget's wait for a checkpoint); `walCheckpoint()`
    /// truncates it, or fails as busy if `stuck` (readers holding it).
    public func setWAL(_ bytes: Int64, stuck: Bool = false) {
        lock.withLock {
            state.walBytes = bytes
            state.walStuck = stuck
        }
    }

    /// Truncating checkpoints asked for.
    public var walCheckpoints: Int { lock.withLock { state.walCheckpoints } }

    public func walCheckpoint() throws(VaultError) {
        try lock.withLock { () throws(VaultError) in
            state.walCheckpoints += 1
            guard !state.walStuck else { throw VaultError(.storage, "WAL checkpoint failed (injected: busy)") }
            state.walBytes = 0
        }
    }

    public var space: VaultSpace { lock.withLock { VaultSpace(fileBytes: state.bytes, walBytes: state.walBytes) } }

    /// Models the vault's size for the budget's pipeline tests: each stored reading adds
    /// `bytesPerReading` and every stored reading counts as prunable at once (delivered, anchored,
    /// and pruned early near the budget), each pruned one giving its bytes back. A model, not
    /// the vault's rules: those are tested on real vaults (VaultTests, the soak).
    public func modelSizes(bytesPerReading: Int64) {
        lock.withLock { state.bytesPerReading = bytesPerReading }
    }

    /// The most `fileBytes` has reported since the start (with `modelSizes`).
    public var peakBytes: Int64 { lock.withLock { state.peakBytes } }

    // Retention: nothing here is prunable or evictable unless sizes are modelled (the rules live in `Vault`).
    public var usedBytes: Int64 { lock.withLock { state.bytes + state.walBytes } }
    public func pruneStep(_ policy: RetentionPolicy, now: Int64, limit: Int, ignoringAge: Bool) throws(VaultError) -> PruneOutcome {
        lock.withLock {
            var outcome = PruneOutcome()
            guard let bytesPerReading = state.bytesPerReading, ignoringAge else { return outcome }
            outcome.pruned = min(limit, state.unpruned)
            state.unpruned -= outcome.pruned
            state.bytes -= Int64(outcome.pruned) * bytesPerReading
            return outcome
        }
    }
    public func evictOldest(limit: Int, now: Int64) throws(VaultError) -> PruneOutcome { PruneOutcome() }
    public func reclaimFreePages(_ pages: Int) throws(VaultError) -> Int { 0 }
    public func compactStep(now: Int64, limit: Int) throws(VaultError) -> CompactionOutcome { CompactionOutcome() }

    public func startWALCheckpointer() -> WALCheckpointer? { nil }

    /// SHA-256 of the identifier: stable, and not the identifier.
    public func pseudonym(of identifier: String) -> [UInt8] { SHA256.hash(Array(identifier.utf8)) }

    public func enableSealing(_ configuration: SealingConfiguration, now: Int64) throws(VaultError) -> Int {
        lock.withLock { state.sealingCalls += 1 }
        return 0
    }

    public func sealingTick(now: Int64) throws(VaultError) -> Int {
        lock.withLock { state.sealingCalls += 1 }
        return 0
    }

    public func sealAll(now: Int64) throws(VaultError) -> Int {
        lock.withLock { state.sealingCalls += 1 }
        return 0
    }

    public var latestCheckpoint: String? { nil }

    public func updateSealingPolicy(_ policy: BatchPolicy) {}

    public func deviceStates() throws(VaultError) -> [DeviceID: DeviceState] { [:] }

    public func encryptedState(_ name: String) throws(VaultError) -> [UInt8]? { lock.withLock { state.values[name] } }

    public func setEncryptedState(_ name: String, _ value: [UInt8]) throws(VaultError) {
        lock.withLock { state.values[name] = value }
    }

    public func removeEncryptedState(_ name: String) throws(VaultError) {
        lock.withLock { _ = state.values.removeValue(forKey: name) }
    }

    public func setPatientStates(_ name: String, patients: [String], at time: Int64,
                                 _ value: (String) -> [UInt8]?) throws(VaultError) {
        var values: [String: [UInt8]] = [:]
        for patient in patients { values[patient] = value(patient) }
        lock.withLock { state.patientValues[name, default: [:]].merge(values) { $1 } }
    }

    public func forEachPatientState(_ name: String, onError: (Int64, VaultError) -> Void,
                                    _ body: ([UInt8]) -> Void) throws(VaultError) {
        let values = lock.withLock { state.patientValues[name] ?? [:] }
        for key in values.keys.sorted() { body(values[key]!) }
    }

    public func fleetState() throws(VaultError) -> [UInt8]? { lock.withLock { state.fleetState } }

    public func recordConfigOutcome(_ record: ConfigAuditRecord, newFleetState: [UInt8]?) throws(VaultError) -> Int64 {
        lock.withLock {
            state.configOutcomes.append(record)
            state.history.append("config \(record.type)")
            if let newFleetState { state.fleetState = newFleetState }
            return Int64(state.configOutcomes.count)
        }
    }

    public func recordGatewayEvent(type: String, detail: [UInt8], at time: Int64) throws(VaultError) {
        lock.withLock {
            state.events.append(type)
            state.history.append("event \(type)")
        }
    }

    public func refreshErasures() throws(VaultError) -> [String] { [] }

    public func consentRecordKey(patient: String, id: String) -> [UInt8] {
        SHA256.hash(Array("consent\u{0}\(patient)\u{0}\(id)".utf8))
    }

    public func consentHighWater(_ recordKey: [UInt8]) throws(VaultError) -> ConsentHighWater? {
        lock.withLock { state.consentHighWater[recordKey] }
    }

    public func storeConsent(_ accepted: ConsentAcceptance, detail: [UInt8], at time: Int64) throws(VaultError) {
        lock.withLock {
            state.consent[accepted.recordKey] = (accepted.patient, accepted.envelope)
            state.consentHighWater[accepted.recordKey] = ConsentHighWater(version: accepted.version, digest: accepted.digest)
            state.events.append("consent_applied")
            state.history.append("event consent_applied")
        }
    }

    public func consentDocuments() throws(VaultError) -> [StoredConsent] {
        lock.withLock { state.consent.values.map { StoredConsent(patient: $0.patient, envelope: $0.envelope) } }
    }
}

extension StoreResult {
    /// Adds another result's counts to this one.
    mutating func add(_ other: StoreResult) {
        stored += other.stored
        duplicates += other.duplicates
        conflicts += other.conflicts
        unpaired += other.unpaired
        quarantined += other.quarantined
        events += other.events
        alerts += other.alerts
    }
}
