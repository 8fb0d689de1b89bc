/// The lifecycle of the open batch as a pure state machine: feed it events, carry out the
/// actions it returns, in order. It does no I/O and keeps no readings, only counts and time.
///
/// - `readingCommitted(at:)`: a reading's commitment is durable and joins the open batch
///   (`.append`), which closes on the count limit (`.close(.count)`). A reading that arrives
///   after the batch exceeded its age first closes the old batch (`.close(.age)`), then opens
///   a new one with the reading.
/// - `tick(at:)`: a timer; closes the open batch once it is old enough (`.close(.age)`).
/// - `shutdown(at:)`: closes the open batch, whatever its size (`.close(.shutdown)`). Readings
///   committed after shutdown (a caller draining late work) are each sealed at once, so a clean
///   stop never leaves a reading unsealed.
/// - `recovered(pending:at:)`: after a crash, `pending` committed readings were found with no
///   batch; they are sealed at once (`.close(.recovery)`, in chunks of at most `maxReadings`).
///
/// A `.close(_, count:)` action covers the oldest `count` appended readings not yet sealed.
///
/// Age is measured on the caller's clock in milliseconds; a monotonic clock is best. Age is
/// the sum of the forward steps between successive events: a wall clock stepped back adds
/// nothing for that step and counts again from the new time, so it cannot hold a batch open
/// for longer than the limit in forward time (jitter can only close a batch early).
public struct BatchAccumulator: Sendable, Equatable {
    /// Something that happened.
    public enum Event: Sendable, Equatable {
        /// A reading was committed at time `at` (ms).
        case readingCommitted(at: Int64)
        /// The timer fired at time `at` (ms).
        case tick(at: Int64)
        /// The agent is stopping.
        case shutdown(at: Int64)
        /// On start-up, `pending` committed readings were found outside any batch.
        case recovered(pending: Int, at: Int64)
    }

    /// Why a batch closed.
    public enum CloseReason: String, Sendable, Equatable, CaseIterable {
        /// It reached ``BatchPolicy/maxReadings``.
        case count
        /// It reached ``BatchPolicy/maxAgeMilliseconds``.
        case age
        /// The agent stopped.
        case shutdown
        /// Readings left unsealed by a crash were sealed on restart.
        case recovery
    }

    /// What the caller must do.
    public enum Action: Sendable, Equatable {
        /// Add the reading to the open batch, at position `index` in it.
        case append(index: Int)
        /// Seal the oldest `count` unsealed readings as one batch.
        case close(CloseReason, count: Int)
    }

    private enum State: Sendable, Equatable {
        case idle
        case open(count: Int, age: Int64, lastTime: Int64)
        case stopped
    }

    /// The policy in force.
    public private(set) var policy: BatchPolicy
    private var state: State = .idle

    /// Creates an accumulator with no open batch.
    public init(policy: BatchPolicy = .bedsideDefault) {
        self.policy = policy
    }

    /// Puts `policy` in force from the next event on; an open batch stays open and closes under
    /// the new limits (its age and count carry over).
    public mutating func changePolicy(_ policy: BatchPolicy) {
        self.policy = policy
    }

    /// The number of readings in the open batch (0 when none is open).
    public var openCount: Int {
        if case .open(let count, _, _) = state { return count }
        return 0
    }

    /// Whether `shutdown` was handled.
    public var isShutDown: Bool { state == .stopped }

    /// Handles one event and returns the actions to carry out, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .readingCommitted(let time): return readingCommitted(at: time)
        case .tick(let time): return tick(at: time)
        case .shutdown: return shutdown()
        case .recovered(let pending, _): return recovered(pending: pending)
        }
    }

    /// Handles `count` readings committed together at `time`, exactly as `count`
    /// `.readingCommitted(at: time)` events in a row, and returns only the batches they close,
    /// in order. The readings that join the open batch allocate nothing (the per-reading
    /// path of a store).
    public mutating func commit(_ count: Int, at time: Int64) -> [(reason: CloseReason, count: Int)] {
        var closes: [(reason: CloseReason, count: Int)] = []
        var remaining = count
        while remaining > 0 {
            if case .open(let open, let age, let lastTime) = state {
                let newAge = advanced(age, from: lastTime, to: time)
                // Readings that fit below the count limit, in a batch not yet too old, only
                // move the counters (after the first, the clock does not advance).
                let room = policy.maxReadings - 1 - open
                if newAge < policy.maxAgeMilliseconds && room > 0 {
                    let joining = min(room, remaining)
                    state = .open(count: open + joining, age: newAge, lastTime: time)
                    remaining -= joining
                    continue
                }
            }
            for case .close(let reason, let size) in readingCommitted(at: time) { closes.append((reason, size)) }
            remaining -= 1
        }
        return closes
    }

    private mutating func readingCommitted(at time: Int64) -> [Action] {
        switch state {
        case .stopped:
            return [.append(index: 0), .close(.shutdown, count: 1)]
        case .idle:
            return startBatch(at: time)
        case .open(let count, let age, let lastTime):
            let newAge = advanced(age, from: lastTime, to: time)
            if newAge >= policy.maxAgeMilliseconds {
                state = .idle
                return [.close(.age, count: count)] + startBatch(at: time)
            }
            let newCount = count + 1
            if newCount >= policy.maxReadings {
                state = .idle
                return [.append(index: count), .close(.count, count: newCount)]
            }
            state = .open(count: newCount, age: newAge, lastTime: time)
            return [.append(index: count)]
        }
    }

    private mutating func startBatch(at time: Int64) -> [Action] {
        if policy.maxReadings == 1 {
            return [.append(index: 0), .close(.count, count: 1)]
        }
        state = .open(count: 1, age: 0, lastTime: time)
        return [.append(index: 0)]
    }

    private mutating func tick(at time: Int64) -> [Action] {
        guard case .open(let count, let age, let lastTime) = state else { return [] }
        let newAge = advanced(age, from: lastTime, to: time)
        if newAge >= policy.maxAgeMilliseconds {
            state = .idle
            return [.close(.age, count: count)]
        }
        state = .open(count: count, age: newAge, lastTime: time)
        return []
    }

    private mutating func shutdown() -> [Action] {
        defer { state = .stopped }
        if case .open(let count, _, _) = state { return [.close(.shutdown, count: count)] }
        return []
    }

    private mutating func recovered(pending: Int) -> [Action] {
        guard pending > 0 else { return [] }
        // Recovery happens before new readings; anything open is sealed first.
        var actions: [Action] = []
        if case .open(let count, _, _) = state {
            actions.append(.close(.recovery, count: count))
            state = .idle
        }
        var remaining = pending
        while remaining > 0 {
            let chunk = min(remaining, policy.maxReadings)
            actions.append(.close(.recovery, count: chunk))
            remaining -= chunk
        }
        return actions
    }

    /// Age after moving the clock from `last` to `now`; backward steps add nothing.
    private func advanced(_ age: Int64, from last: Int64, to now: Int64) -> Int64 {
        guard now > last else { return age }
        let (step, overflow) = now.subtractingReportingOverflow(last)
        if overflow { return Int64.max }
        let (sum, overflow2) = age.addingReportingOverflow(step)
        return overflow2 ? Int64.max : sum
    }
}
