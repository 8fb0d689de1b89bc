public import Consent
import Threading

/// A disclosure recorder in memory: keeps what it was given, and fails on demand (delivery
/// tests without the vault's disclosure log).
public final class InMemoryDisclosureRecorder: DisclosureRecorder, @unchecked Sendable {
    // @unchecked Sendable is safe: `recorded` and `failing` are read and written only inside
    // `lock.withLock` (the worker thread records, the test inspects).
    private let lock = PThreadLock()
    private var recorded: [Disclosure] = []
    private var failing = 0

    public init() {}

    /// The error of a failing recorder.
    public struct Failure: Error {}

    /// The disclosures recorded so far, in order.
    public var disclosures: [Disclosure] { lock.withLock { recorded } }

    /// The next `times` calls fail.
    public func fail(times: Int) { lock.withLock { failing = times } }

    public func record(_ disclosures: [Disclosure]) throws {
        try lock.withLock { () throws -> Void in
            if failing > 0 {
                failing -= 1
                throw Failure()
            }
            recorded += disclosures
        }
    }
}
