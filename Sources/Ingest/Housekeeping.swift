import Threading

/// The housekeeping stage's timetable: periodic work that needs the store to itself, so it runs
/// between batches, on the monotonic clock (a step of the wall clock neither stalls nor bursts it).
struct Housekeeping {
    /// The jobs, each with its period.
    enum Job: CaseIterable {
        /// Close batches due by age (every second; also whenever the pipeline is idle).
        case sealingTick
        /// Save the detectors' state (every minute).
        case stateSave
        /// Check the storage cap, and erasures made by other processes (every 5 s).
        case storageCheck
        /// Prune (or evict) a step, return free pages, enforce the byte budget (every second).
        case retention
    }

    private var sealingTick: PeriodicWork?
    private var stateSave: PeriodicWork
    private var storageCheck = PeriodicWork(everyMs: 5000)
    private var retention = PeriodicWork(everyMs: 1000)

    /// `sealing`: whether batches are sealed (else there is no tick). `now`: the start, when the
    /// state counts as saved.
    init(sealing: Bool, now: Int64) {
        sealingTick = sealing ? PeriodicWork(everyMs: 1000) : nil
        stateSave = PeriodicWork(everyMs: 60_000, lastRun: now)
    }

    /// Whether the job runs at all.
    func isEnabled(_ job: Job) -> Bool { job != .sealingTick || sealingTick != nil }

    /// Whether `job` is due at monotonic time `now`.
    func isDue(_ job: Job, at now: Int64) -> Bool {
        switch job {
        case .sealingTick: sealingTick?.isDue(at: now) ?? false
        case .stateSave: stateSave.isDue(at: now)
        case .storageCheck: storageCheck.isDue(at: now)
        case .retention: retention.isDue(at: now)
        }
    }

    /// Whether any job is due.
    func anyDue(at now: Int64) -> Bool { Job.allCases.contains { isDue($0, at: now) } }

    /// Records a run of `job`.
    mutating func ran(_ job: Job, at now: Int64) {
        switch job {
        case .sealingTick: sealingTick?.ran(at: now)
        case .stateSave: stateSave.ran(at: now)
        case .storageCheck: storageCheck.ran(at: now)
        case .retention: retention.ran(at: now)
        }
    }
}
