public import Vault

/// What a sink did with a batch: everything it was given is confirmed (written durably, or
/// acknowledged by the receiver), except the entries it refused for good, each with the
/// receiver's reason (dead letters: they never block the entries behind them).
public struct DeliveryReceipt: Sendable {
    /// Record id and reason of each entry refused for good.
    public var deadLetters: [(recordID: Int64, reason: String)]

    public init(deadLetters: [(recordID: Int64, reason: String)] = []) {
        self.deadLetters = deadLetters
    }
}

/// A receiver of the outbox: a FHIR server, an upstream broker, a directory of NDJSON files.
/// In-memory sinks for tests live in `VitalGateTesting`.
///
/// Used from the delivery worker's thread only.
public protocol DeliverySink: AnyObject {
    /// The sink's name, the key of its cursor in the vault.
    var name: String { get }
    /// Which records it takes (all, unless it says otherwise).
    var selection: OutboxSelection { get }
    /// Whether `pending` (entries after the cursor, oldest first, at most the worker's batch)
    /// should go now; a sink that writes files waits for a full file or its age limit. `now`
    /// is the gateway's wall clock (ms).
    func isReady(_ pending: [OutboxEntry], now: Int64) -> Bool
    /// Delivers `entries` (in id order) and returns once the receiver confirmed them.
    /// - Throws: ``DeliveryError`` when nothing can be confirmed now (the batch is tried again
    ///   after a backoff, or after the receiver's `Retry-After`).
    func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt
    /// Whether the sink sends the patient's identifier (the MRN) beside the data when it may
    /// (true by default): consent is then asked for the `identity` class too, and the sink names
    /// the patient by the pseudonym when it is denied (``OutboxEntry/identityWithheld``).
    var sendsIdentity: Bool { get }
    /// Records the sink sends at a time when it takes a delivery in parts (nil: whole, the
    /// default). The worker then reads each part from the vault while the sink sends the one
    /// before, instead of reading the whole delivery first.
    var partRecords: Int? { get }
    /// Delivers `first` and then each part `next()` returns (nil once there is no more), in
    /// order, and returns once the receiver confirmed them all: one delivery, one receipt.
    /// `next` is called on the calling thread; the sink calls it while its previous part is
    /// on its way. The default gathers the parts and calls ``deliver(_:)``.
    func deliver(first: [OutboxEntry], next: () -> [OutboxEntry]?) throws(DeliveryError) -> DeliveryReceipt
}

extension DeliverySink {
    /// Readings and alerts.
    public var selection: OutboxSelection { .all }

    public var partRecords: Int? { nil }

    public var sendsIdentity: Bool { true }

    public func deliver(first: [OutboxEntry], next: () -> [OutboxEntry]?) throws(DeliveryError) -> DeliveryReceipt {
        var entries = first
        while let part = next() { entries += part }
        return try deliver(entries)
    }
}
