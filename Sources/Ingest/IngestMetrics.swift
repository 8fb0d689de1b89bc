public import Telemetry

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
    /// Consent documents judged, by outcome: `applied`, `duplicate` (the accepted copy again) or
    /// the rejection code (`bad-signature`, `expired`, `replay`, …). Counts only.
    public var consentDocuments: [String: Int] = [:]
    /// Times the vault grew past the storage cap (each crossing raises one storage alert).
    public var storageCapExceeded = 0
    /// Readings whose content was pruned (delivered, anchored, old; or early, near the budget).
    public var readingsPruned = 0
    /// Pruned or evicted readings whose rows were compacted into their batch's archive.
    public var readingsCompacted = 0
    /// Readings whose content was evicted at the budget (`when_full = "evict-oldest"`).
    public var readingsEvicted = 0
    /// Times the vault became full: over its budget with nothing to prune, under `block`.
    public var storageBudgetFull = 0
    /// Times a batch was held back at the budget before it was received: for a retention step
    /// run at once, or for the WAL's checkpoint (the drain paced by what pruning frees).
    public var storagePaced = 0
    /// Alerts stored, by category and kind (counts only).
    public var alertsByKind: [AlertKind: Int] = [:]
    /// Each stored batch's time from receipt to commit and sync: how long its messages waited
    /// before they could be acknowledged.
    public var batchSeconds = LatencyHistogram()
    /// Each batch's store transaction (commit without the sync, which is shared).
    public var commitSeconds = LatencyHistogram()

    public init() {}
}

/// An alert's category and kind (`clinical`, `desaturation`): what metrics count alerts by.
public struct AlertKind: Hashable, Sendable, Comparable {
    public var category: String
    public var kind: String

    public init(category: String, kind: String) {
        self.category = category
        self.kind = kind
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.category, lhs.kind) < (rhs.category, rhs.kind) }
}
