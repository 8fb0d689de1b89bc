/// Counters kept by the ingest service (also the figures `demo` and benchmarks print).
public struct IngestMetrics: Sendable, Equatable {
    public var messages = 0
    public var stored = 0
    public var duplicates = 0
    public var conflicts = 0
    public var unpaired = 0
    public var quarantined = 0
    public var quarantinedByReason: [String: Int] = [:]
    public var events = 0
    public var alerts = 0
    public var batches = 0
    public var connects = 0
    public var connectFailures = 0
    public var connectionLosses = 0
    /// Batches that could not be stored; their messages were not acknowledged (the broker redelivers).
    public var storeFailures = 0
    /// Sealing attempts that failed; the readings stay stored and unsealed until a later attempt.
    public var sealingFailures = 0
    /// Fleet configuration documents applied, rejected and rolled back.
    public var configApplied = 0
    public var configRejected = 0
    public var configRolledBack = 0
    /// Times the vault grew past the storage cap (each crossing raises one storage alert).
    public var storageCapExceeded = 0

    public init() {}
}
