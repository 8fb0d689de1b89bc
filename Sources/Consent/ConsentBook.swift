import Synchronization

/// The consent in force on this gateway: the deployment's policy and every patient's current
/// records, shared by the threads that let data leave. Sources (signed documents, the EVM
/// registry) put records in; delivery, alerts and exports ask it before anything leaves.
///
/// A decision reads the book under a lock for the time of one evaluation (a few small rule
/// trees): cheap enough to ask per item (BENCHMARKS "Consent").
public final class ConsentBook: Sendable {
    /// What ``apply(_:)`` did with a record.
    public enum ApplyOutcome: Hashable, Sendable {
        /// It is the record's newest version now.
        case applied
        /// The book already holds this version or a newer one (`current`): a replay, ignored.
        case stale(current: UInt64)
    }

    private struct State {
        var policy: ConsentPolicy
        /// Per patient, per record id, the newest version.
        var records: [String: [String: ConsentRecord]] = [:]
        var generation: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a book under `policy`, holding no record.
    public init(policy: ConsentPolicy) {
        state = Mutex(State(policy: policy))
    }

    /// The deployment's policy.
    public var policy: ConsentPolicy {
        get { state.withLock { $0.policy } }
    }

    /// Replaces the deployment's policy (a fleet document may change it).
    public func setPolicy(_ policy: ConsentPolicy) {
        state.withLock {
            $0.policy = policy
            $0.generation &+= 1
        }
    }

    /// Counts every change: a reader that cached a decision asks again once it moved.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Puts `record` in the book unless it holds the same or a newer version of it.
    @discardableResult
    public func apply(_ record: ConsentRecord) -> ApplyOutcome {
        state.withLock {
            if let current = $0.records[record.patient]?[record.id], current.version >= record.version {
                return .stale(current: current.version)
            }
            $0.records[record.patient, default: [:]][record.id] = record
            $0.generation &+= 1
            return .applied
        }
    }

    /// Forgets every record of `patient` (erasure).
    public func remove(patient: String) {
        state.withLock {
            if $0.records.removeValue(forKey: patient) != nil { $0.generation &+= 1 }
        }
    }

    /// Forgets `patient`'s record `id` (a source that can no longer vouch for it, e.g. the
    /// consent registry past its maximum staleness); the next version of it applies afresh.
    public func remove(patient: String, id: String) {
        state.withLock {
            if $0.records[patient]?.removeValue(forKey: id) != nil {
                if $0.records[patient]?.isEmpty == true { $0.records[patient] = nil }
                $0.generation &+= 1
            }
        }
    }

    /// `patient`'s current records, ordered by id.
    public func records(patient: String) -> [ConsentRecord] {
        state.withLock { ($0.records[patient] ?? [:]).values.sorted { $0.id < $1.id } }
    }

    /// The number of patients with at least one record.
    public var patientCount: Int { state.withLock { $0.records.count } }

    /// Decides `request`, class by class:
    /// 1. break-glass: purpose `ETREAT` from a recipient the policy names permits every class;
    /// 2. otherwise the patient's records that speak decide (deny wins over permit);
    /// 3. otherwise the policy's default rules, and, where none matches, deny.
    public func decide(_ request: DisclosureRequest) -> ConsentDecision {
        state.withLock { state in
            if request.purpose == .emergencyTreatment, state.policy.breakGlassRecipients.contains(request.recipient) {
                return ConsentDecision(permitted: request.classes, denied: [], basis: .breakGlass)
            }
            let records = state.records[request.patient]
            var permitted: DataClasses = []
            var spoke: [ConsentVersion] = []
            for (_, dataClass) in DataClasses.codes where request.classes.contains(dataClass) {
                var verdict: ProvisionType?
                if let records {
                    for record in records.values {
                        guard let decision = record.decide(request, dataClass) else { continue }
                        let version = ConsentVersion(recordID: record.id, version: record.version)
                        if !spoke.contains(version) { spoke.append(version) }
                        if decision == .deny { verdict = .deny } else if verdict == nil { verdict = .permit }
                    }
                }
                if (verdict ?? state.policy.defaultProvision.decide(request, dataClass)) == .permit {
                    permitted.insert(dataClass)
                }
            }
            return ConsentDecision(permitted: permitted, denied: request.classes.subtracting(permitted),
                                   basis: spoke.isEmpty ? .defaultPolicy : .patientConsent(spoke.sorted()))
        }
    }
}
