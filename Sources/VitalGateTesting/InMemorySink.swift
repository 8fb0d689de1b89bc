public import Delivery
import Threading
public import Vault

/// A delivery sink in memory: it keeps what it was given, and fails or refuses on demand
/// (delivery tests without a server or a directory).
public final class InMemorySink: DeliverySink, @unchecked Sendable {
    // @unchecked Sendable is safe: every mutable field is in `state`, read and written only
    // inside `lock.withLock` (the worker thread delivers, the test inspects).
    private let lock = PThreadLock()
    private var state = State()
    public let name: String

    struct State {
        var delivered: [Int64] = []
        var failures: [DeliveryError] = []
        var refuse: Set<Int64> = []
        var calls = 0
        var readyAfter = 0
        var parts: [Int] = []
        var failAtPart: Int?
    }

    /// Records per part when this sink takes its deliveries in parts (nil: whole).
    public let partRecords: Int?

    public init(name: String = "memory", partRecords: Int? = nil) {
        self.name = name
        self.partRecords = partRecords
    }

    /// The size of each part received so far (a sink taking its deliveries in parts).
    public var parts: [Int] { lock.withLock { state.parts } }

    /// The next delivery in parts fails with `error` when its part number `part` (from 0) arrives,
    /// after confirming the parts before it.
    public func fail(atPart part: Int) { lock.withLock { state.failAtPart = part } }

    public func deliver(first: [OutboxEntry], next: () -> [OutboxEntry]?) throws(DeliveryError) -> DeliveryReceipt {
        guard partRecords != nil else {
            var entries = first
            while let part = next() { entries += part }
            return try deliver(entries)
        }
        var receipt = DeliveryReceipt()
        var part: [OutboxEntry]? = first
        var index = 0
        while let entries = part {
            let failing = lock.withLock { () -> Bool in
                state.parts.append(entries.count)
                guard state.failAtPart == index else { return false }
                state.failAtPart = nil
                return true
            }
            if failing { throw DeliveryError(.unavailable, "failed at part \(index)") }
            receipt.deadLetters += try deliver(entries).deadLetters
            index += 1
            part = next()
        }
        return receipt
    }

    /// The next deliveries fail with these errors, in order.
    public func fail(with errors: [DeliveryError]) { lock.withLock { state.failures += errors } }

    /// These records are refused for good (dead letters).
    public func refuse(_ ids: Set<Int64>) { lock.withLock { state.refuse.formUnion(ids) } }

    /// `isReady` answers false until this many entries are pending.
    public func waitFor(_ entries: Int) { lock.withLock { state.readyAfter = entries } }

    /// The record ids confirmed so far, in delivery order.
    public var delivered: [Int64] { lock.withLock { state.delivered } }

    /// Delivery calls so far, failed ones included.
    public var calls: Int { lock.withLock { state.calls } }

    public func isReady(_ pending: [OutboxEntry], now: Int64) -> Bool {
        lock.withLock { pending.count >= state.readyAfter }
    }

    public func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt {
        try lock.withLock { () throws(DeliveryError) -> DeliveryReceipt in
            state.calls += 1
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            var receipt = DeliveryReceipt()
            for entry in entries {
                if state.refuse.contains(entry.id) {
                    receipt.deadLetters.append((entry.id, "refused by the in-memory sink"))
                } else {
                    state.delivered.append(entry.id)
                }
            }
            return receipt
        }
    }
}
