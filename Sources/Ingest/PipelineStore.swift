public import Sealing
public import Telemetry
public import Vault

/// Where the store stage commits decoded batches: the part of the store the `StoreWorker`
/// thread uses.
///
/// The contract the pipeline's acknowledgements rest on: a batch `store` returned from is
/// committed; once `syncDeferred()` has returned (or at once, when syncing is not deferred)
/// it survives a power cut. Only then may its messages be acknowledged.
public protocol BatchStore: AnyObject {
    /// Defers the disk sync of the batches stored from now on to `syncDeferred()`.
    func deferSync() throws(VaultError)
    /// Makes every batch stored since `deferSync()` durable.
    func syncDeferred() throws(VaultError)
    /// Commits one batch (its readings, controls, quarantined messages and alerts) at once.
    func store(_ messages: [IncomingMessage], alerts: [AlertRecord]) throws(VaultError) -> StoreResult
    /// The file, its free pages and the WAL: read after each batch, so the byte budget is
    /// checked before the next one is received (issue 20).
    var space: VaultSpace { get }
}

/// Everything the ingest pipeline asks of its store. `Vault` is the production store;
/// `InMemoryStore` in `VitalGateTesting` lets the pipeline's rules be tested without SQLite.
///
/// Used by one thread at a time (see `StoreWorker` for how the two pipeline threads share it).
public protocol PipelineStore: BatchStore {
    /// The store's file: the pipeline keeps its poison-message guard beside it (`<path>.decoding`).
    var path: String { get }
    /// Bytes the store takes on disk (for the storage cap and the metrics).
    var fileBytes: Int64 { get }
    /// Starts the store's background WAL checkpoints, if it has any; stopped when the pipeline stops.
    func startWALCheckpointer() -> WALCheckpointer?
    /// Checkpoints the WAL into the database file and truncates it (waits for readers for up to
    /// the connection's busy timeout).
    func walCheckpoint() throws(VaultError)

    // MARK: Sealing
    /// Turns sealing on, sealing what a crash left unsealed; returns the batches it sealed.
    func enableSealing(_ configuration: SealingConfiguration, now: Int64) throws(VaultError) -> Int
    /// Closes the batches that are due; returns how many.
    @discardableResult
    func sealingTick(now: Int64) throws(VaultError) -> Int
    /// Closes every open batch (at a clean stop); returns how many.
    @discardableResult
    func sealAll(now: Int64) throws(VaultError) -> Int
    /// The newest signed checkpoint note, if sealing has produced one.
    var latestCheckpoint: String? { get }
    /// Changes the batch policy (a fleet `sealing` section).
    func updateSealingPolicy(_ policy: BatchPolicy)

    // MARK: Devices, detector state, fleet state, events
    /// The stored state of every known device (the decode stage holds the live state).
    func deviceStates() throws(VaultError) -> [DeviceID: DeviceState]
    /// A named value stored under the gateway key.
    func encryptedState(_ name: String) throws(VaultError) -> [UInt8]?
    /// Stores a named value under the gateway key.
    func setEncryptedState(_ name: String, _ value: [UInt8]) throws(VaultError)
    /// Removes a named value.
    func removeEncryptedState(_ name: String) throws(VaultError)
    /// Stores one value per patient under that patient's key, in one transaction.
    func setPatientStates(_ name: String, patients: [String], at time: Int64,
                          _ state: (String) -> [UInt8]?) throws(VaultError)
    /// Calls `body` with each patient's value of `name`; `onError` for each that does not decrypt.
    func forEachPatientState(_ name: String, onError: (Int64, VaultError) -> Void,
                             _ body: ([UInt8]) -> Void) throws(VaultError)
    /// The persisted fleet state, if any.
    func fleetState() throws(VaultError) -> [UInt8]?
    /// Records a fleet document's outcome (and the new fleet state) in one transaction.
    @discardableResult
    func recordConfigOutcome(_ record: ConfigAuditRecord, newFleetState: [UInt8]?) throws(VaultError) -> Int64
    /// Records a gateway event (storage outage, storage cap).
    func recordGatewayEvent(type: String, detail: [UInt8], at time: Int64) throws(VaultError)
    /// Patients erased by another process since the last call.
    func refreshErasures() throws(VaultError) -> [String]
    // MARK: Consent documents (issue 21)
    /// The key of a patient's consent record: a keyed hash of patient and record id.
    func consentRecordKey(patient: String, id: String) -> [UInt8]
    /// The highest version accepted for a consent record, also for a patient erased since.
    func consentHighWater(_ recordKey: [UInt8]) throws(VaultError) -> ConsentHighWater?
    /// Stores an accepted consent document, its high-water mark and a `consent_applied` event at once.
    func storeConsent(_ accepted: ConsentAcceptance, detail: [UInt8], at time: Int64) throws(VaultError)
    /// Every stored consent document of the patients not erased.
    func consentDocuments() throws(VaultError) -> [StoredConsent]
    // MARK: Retention (issue 20)
    /// Bytes the storage cap's alert is compared with: the pages in use (not the free ones) and the WAL.
    var usedBytes: Int64 { get }
    /// Prunes at most `limit` readings that `policy` allows, oldest first.
    func pruneStep(_ policy: RetentionPolicy, now: Int64, limit: Int, ignoringAge: Bool) throws(VaultError) -> PruneOutcome
    /// Evicts the content of at most `limit` of the oldest readings, recording a sealed event.
    func evictOldest(limit: Int, now: Int64) throws(VaultError) -> PruneOutcome
    /// Returns at most `pages` free pages to the file system; returns how many.
    func reclaimFreePages(_ pages: Int) throws(VaultError) -> Int
    /// Compacts the oldest wholly pruned batches into their archives, up to about `limit` readings.
    func compactStep(now: Int64, limit: Int) throws(VaultError) -> CompactionOutcome

    /// The keyed pseudonym of a patient identifier (the status page's patient column). Uses
    /// only the gateway's keys, never the database: callable while a batch is being stored.
    func pseudonym(of identifier: String) -> [UInt8]
}

extension Vault: PipelineStore {
    public func startWALCheckpointer() -> WALCheckpointer? { WALCheckpointer(path: path) }
    public func compactStep(now: Int64, limit: Int) throws(VaultError) -> CompactionOutcome {
        try compactStep(now: now, limit: limit, minimumAgeMs: Vault.compactionMinimumAgeMs)
    }
}
