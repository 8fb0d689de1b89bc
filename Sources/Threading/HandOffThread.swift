/// A thread that runs one job at a time, handed over by its owner: the owner submits a job,
/// does other work meanwhile, and waits for it. A sink uses it to post one upload while it
/// builds the next.
///
/// One owner thread submits and waits; the job and the owner never touch the same state at
/// the same time (the owner reads what the job produced only after `wait()`).
public final class HandOffThread: @unchecked Sendable {
    // @unchecked Sendable is safe: `job`, `busy` and `stopping` are read and written only with
    // `condition`'s mutex held; a job runs on the thread while its owner either works on other
    // state or blocks in `wait()`, which returns only after the job finished (under the mutex,
    // so the job's writes are visible to the owner).
    private let condition = PThreadCondition()
    private let finished = PThreadSemaphore()
    private var job: (() -> Void)?
    private var busy = false
    private var stopping = false

    /// Starts the thread, named `name` (15 bytes at most are kept).
    public init(name: String) {
        WorkerThread.start(name: name) { [self] in loop() }
    }

    /// Hands `job` to the thread (after the previous one finished) and returns at once.
    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        while busy { condition.wait() }
        self.job = job
        busy = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the job submitted last has finished.
    public func wait() {
        condition.lock()
        while busy { condition.wait() }
        condition.unlock()
    }

    /// Finishes the job under way, then ends the thread; call once, before letting go of it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    private func loop() {
        while true {
            condition.lock()
            while job == nil && !stopping { condition.wait() }
            guard let work = job else {
                condition.unlock()
                finished.signal()
                return
            }
            job = nil
            condition.unlock()
            work()
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
