import FoundationEssentials
import Glibc
import HTTP
import Synchronization
import Threading

/// Reads the agent's `/metrics` and status page every `everyMs` on a thread of its own while a
/// benchmark runs, so that the memory measured includes serving them.
final class Scraper: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let counts = Mutex((answered: 0, failed: 0))
    private let done = PThreadSemaphore()
    private let stopped = Atomic<Bool>(false)

    init(base: String, everyMs: Int) {
        WorkerThread.start(name: "bench-scraper") { [self] in
            defer { done.signal() }
            guard let client = try? HTTPClient(options: .init(timeoutMs: 5000)) else {
                counts.withLock { $0.failed += 1 }
                return
            }
            while !stopFlag.load(ordering: .relaxed) {
                for path in ["/metrics", "/"] {
                    let ok = (try? client.send(HTTPRequest(method: "GET", url: base + path)).status) == 200
                    counts.withLock { ok ? ($0.answered += 1) : ($0.failed += 1) }
                }
                var slept = 0
                while slept < everyMs && !stopFlag.load(ordering: .relaxed) {
                    usleep(UInt32(min(50, everyMs - slept)) * 1000)
                    slept += 50
                }
            }
        }
    }

    /// Stops scraping (once); returns the GETs answered with 200 and the others.
    @discardableResult
    func stop() -> (answered: Int, failed: Int) {
        if !stopped.exchange(true, ordering: .relaxed) {
            stopFlag.store(true, ordering: .relaxed)
            done.wait()
        }
        return counts.withLock { $0 }
    }
}
