import Vault

/// The lines `[storage] max_bytes` draws (issue 20). A value that decides, so its rules are
/// tested without a pipeline (`StorageBudgetRuleTests`); the service acts on its verdicts
/// (IngestService+Budget, IngestService+Retention).
///
/// Two quantities are held apart: the **content** (the database's pages in use, which pruning
/// lowers as pages empty, and compaction more) and the **disk** (the database file and its WAL, which is what fills a
/// gateway's eMMC). The content decides when the vault is full (`when_full` applies); the disk
/// decides when the next batch waits for the WAL to be checkpointed and truncated.
struct StorageBudget: Equatable {
    /// Kept between the content's line and the budget for the WAL: the checkpointer truncates it
    /// past 8 MiB, and up to as much again is written before a truncation gets its moment (the
    /// soak measured 16.6 MiB at the most).
    static let walAllowanceBytes: UInt64 = 16 << 20
    /// Kept between the disk's line and the budget for what lands before the next check: two
    /// batches in flight (the store stage's double buffering) and one retention step's writes.
    static let inFlightAllowanceBytes: UInt64 = 4 << 20

    /// The budget in bytes (0: none).
    let cap: UInt64

    var isSet: Bool { cap > 0 }

    /// The content above which the vault is full: the budget less `max(5 %, the WAL allowance)`.
    var fullAt: UInt64 {
        let headroom = max(cap / 20, Self.walAllowanceBytes)
        return cap > headroom ? cap - headroom : 0
    }

    /// The content from which pruning ignores `keep_days`: 10 % of the budget below `fullAt`.
    var nearingAt: UInt64 { fullAt > cap / 10 ? fullAt - cap / 10 : 0 }

    /// The disk (file and WAL) above which the next batch waits for a checkpoint.
    var diskLimit: UInt64 { cap - min(Self.inFlightAllowanceBytes, cap / 16) }

    /// What to do before receiving the next batch.
    enum Verdict: Equatable {
        /// Store it.
        case admit
        /// The content is over `fullAt` (and the WAL leaves room): run the retention step now
        /// (prune, then block or evict).
        case prune
        /// The WAL takes the disk over `diskLimit` (the file alone is under it): wait for its
        /// truncation rather than write more into it.
        case awaitCheckpoint
    }

    /// The WAL first: a retention step writes into it too (a pruning step rewrites thousands of
    /// rows), so steps run back to back while the content stays over its line would swell it
    /// (the 1.5-day soak: 29.6 MiB of WAL on a 64 MiB budget when the content came first).
    func verdict(_ space: VaultSpace) -> Verdict {
        guard isSet else { return .admit }
        let disk = UInt64(max(space.diskBytes, 0))
        if disk > diskLimit, UInt64(max(space.fileBytes, 0)) <= diskLimit, space.walBytes > 0 { return .awaitCheckpoint }
        if isFull(space) { return .prune }
        return .admit
    }

    /// Whether the content is over the line where `when_full` applies.
    func isFull(_ space: VaultSpace) -> Bool { isSet && UInt64(max(space.contentBytes, 0)) > fullAt }

    /// Whether a vault blocked at its budget stays blocked: until its content is a batch or two
    /// (`inFlightAllowanceBytes`) below `fullAt`, so that it does not resume for one batch and
    /// block again (each block drops the broker's connection).
    func keepsBlocking(_ space: VaultSpace) -> Bool {
        let margin = min(Self.inFlightAllowanceBytes, fullAt / 2)
        return isSet && UInt64(max(space.contentBytes, 0)) + margin > fullAt
    }

    /// Whether pruning should ignore `keep_days` (the content nears the line).
    func isNearing(_ space: VaultSpace) -> Bool { isSet && UInt64(max(space.contentBytes, 0)) >= nearingAt }
}
