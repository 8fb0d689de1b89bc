/// A submission in flight, as the backend needs to resume it after a restart. The vault stores
/// it opaquely; only the backend that made it reads ``state``.
public struct AnchorTicket: Sendable, Hashable {
    /// The backend that issued the ticket.
    public var backend: String
    /// Backend-defined bytes (the `evm` backend writes a JSON object).
    public var state: [UInt8]
    /// When the submission was (last) posted, ms since the epoch.
    public var submittedAt: Int64

    /// Creates a ticket.
    public init(backend: String, state: [UInt8], submittedAt: Int64) {
        self.backend = backend
        self.state = state
        self.submittedAt = submittedAt
    }
}

/// Where a submission stands.
public enum AnchorProgress: Sendable, Equatable {
    /// Not final yet. The ticket may have changed (e.g. a fee bump): persist it.
    case pending(AnchorTicket, detail: String)
    /// Included, verified and final.
    case anchored(AnchorEvidence)
    /// The submission is gone (dropped from the pool, or its block was reorged out before
    /// finality): submit again.
    case resubmit(reason: String)
}
