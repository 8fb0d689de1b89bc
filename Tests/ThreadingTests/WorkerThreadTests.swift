import Glibc
import Synchronization
import Testing
import Threading

@Suite struct WorkerThreadTests {
    @Test func aWorkerRunsItsBodyOnItsOwnNamedThread() throws {
        let done = PThreadSemaphore()
        let name = Mutex<String>("")
        WorkerThread.start(name: "vg-test-worker-with-a-long-name") {
            var bytes = [UInt8](repeating: 0, count: 64)
            let fd = open("/proc/thread-self/comm", O_RDONLY)
            if fd >= 0 {
                let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 64) }
                close(fd)
                name.withLock { $0 = String(decoding: bytes.prefix(max(0, n)), as: UTF8.self) }
            }
            done.signal()
        }
        #expect(done.wait(timeoutMs: 10_000), "the worker never ran")
        // The kernel keeps 15 bytes of a thread name.
        #expect(name.withLock { $0 } == "vg-test-worker-\n")
    }

    @Test func aConditionHandsWorkBetweenThreads() {
        let condition = PThreadCondition()
        let finished = PThreadSemaphore()
        nonisolated(unsafe) var queue: [Int] = []  // guarded by `condition`
        nonisolated(unsafe) var total = 0          // written by the worker, read after `finished`
        WorkerThread.start(name: "vg-test-consumer") {
            condition.lock()
            var seen = 0
            while seen < 100 {
                while queue.isEmpty { condition.wait() }
                total += queue.removeFirst()
                seen += 1
            }
            condition.unlock()
            finished.signal()
        }
        for value in 1...100 {
            condition.lock()
            queue.append(value)
            condition.broadcast()
            condition.unlock()
        }
        #expect(finished.wait(timeoutMs: 10_000), "the consumer never finished")
        #expect(total == 5050)
    }

    @Test func aSemaphoreCountsSignalsGivenBeforeTheWait() {
        let semaphore = PThreadSemaphore()
        semaphore.signal()
        semaphore.signal()
        #expect(semaphore.wait(timeoutMs: 1000))
        #expect(semaphore.wait(timeoutMs: 1000), "the second signal was lost")
        #expect(!semaphore.wait(timeoutMs: 50), "a third wait took a signal nobody gave")
    }

    @Test func aTimedWaitEndsAtItsDeadline() {
        let semaphore = PThreadSemaphore()
        let clock = SystemClock()
        let start = clock.monotonicMs()
        #expect(!semaphore.wait(timeoutMs: 120))
        let waited = clock.monotonicMs() - start
        #expect(waited >= 120 && waited < 5000, "waited \(waited) ms")
    }
}
