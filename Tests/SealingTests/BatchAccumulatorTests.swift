import Sealing
import Telemetry
import Testing
import VitalGateTesting

@Suite("BatchPolicy and BatchAccumulator")
struct BatchAccumulatorTests {
    typealias Action = BatchAccumulator.Action

    @Test("defaults suit a bedside gateway; out-of-range policies are rejected")
    func policy() throws {
        #expect(BatchPolicy.bedsideDefault.maxReadings == 256)
        #expect(BatchPolicy.bedsideDefault.maxAgeMilliseconds == 10_000)
        #expect(try BatchPolicy() == .bedsideDefault)
        #expect(throws: SealingError.self) { try BatchPolicy(maxReadings: 0) }
        #expect(throws: SealingError.self) { try BatchPolicy(maxReadings: BatchPolicy.readingLimit + 1) }
        #expect(throws: SealingError.self) { try BatchPolicy(maxAgeMilliseconds: 0) }
    }

    @Test("closes on count")
    func closesOnCount() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 3, maxAgeMilliseconds: 1_000))
        #expect(machine.handle(.readingCommitted(at: 0)) == [.append(index: 0)])
        #expect(machine.handle(.readingCommitted(at: 1)) == [.append(index: 1)])
        #expect(machine.openCount == 2)
        #expect(machine.handle(.readingCommitted(at: 2)) == [.append(index: 2), .close(.count, count: 3)])
        #expect(machine.openCount == 0)
        #expect(machine.handle(.readingCommitted(at: 3)) == [.append(index: 0)])
    }

    @Test("a batch of one closes on every reading")
    func sizeOne() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 1, maxAgeMilliseconds: 1_000))
        for t in 0..<3 {
            #expect(machine.handle(.readingCommitted(at: Int64(t))) == [.append(index: 0), .close(.count, count: 1)])
        }
        #expect(machine.handle(.shutdown(at: 9)) == [])
    }

    @Test("closes on age: by tick, or before a late reading joins")
    func closesOnAge() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 100, maxAgeMilliseconds: 1_000))
        #expect(machine.handle(.tick(at: 0)) == [], "nothing open, nothing to close")
        #expect(machine.handle(.readingCommitted(at: 100)) == [.append(index: 0)])
        #expect(machine.handle(.readingCommitted(at: 600)) == [.append(index: 1)])
        #expect(machine.handle(.tick(at: 1_099)) == [])
        #expect(machine.handle(.tick(at: 1_100)) == [.close(.age, count: 2)])
        #expect(machine.handle(.tick(at: 5_000)) == [])
        // No tick in time: the late reading starts a new batch after the old one closes.
        #expect(machine.handle(.readingCommitted(at: 6_000)) == [.append(index: 0)])
        #expect(machine.handle(.readingCommitted(at: 7_500)) == [.close(.age, count: 1), .append(index: 0)])
        #expect(machine.openCount == 1)
    }

    @Test("a clock stepping backwards does not extend the age limit beyond forward time")
    func backwardsClock() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 100, maxAgeMilliseconds: 1_000))
        _ = machine.handle(.readingCommitted(at: 10_000))
        #expect(machine.handle(.tick(at: 10_600)) == [])
        #expect(machine.handle(.tick(at: 2_000)) == [], "stepped back an hour")
        #expect(machine.handle(.tick(at: 2_399)) == [])
        #expect(machine.handle(.tick(at: 2_400)) == [.close(.age, count: 1)], "600 + 400 ms of forward time")
    }

    @Test("shutdown seals the open batch; later readings are sealed at once")
    func shutdown() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 10, maxAgeMilliseconds: 1_000))
        _ = machine.handle(.readingCommitted(at: 0))
        _ = machine.handle(.readingCommitted(at: 1))
        #expect(machine.handle(.shutdown(at: 2)) == [.close(.shutdown, count: 2)])
        #expect(machine.isShutDown)
        #expect(machine.handle(.shutdown(at: 3)) == [])
        #expect(machine.handle(.tick(at: 99_999)) == [])
        #expect(machine.handle(.readingCommitted(at: 4)) == [.append(index: 0), .close(.shutdown, count: 1)])
        var idle = BatchAccumulator()
        #expect(idle.handle(.shutdown(at: 0)) == [], "nothing open: no empty batch")
    }

    @Test("recovered readings are sealed at once, in chunks of at most maxReadings")
    func recovery() throws {
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: 4, maxAgeMilliseconds: 1_000))
        #expect(machine.handle(.recovered(pending: 0, at: 0)) == [])
        #expect(machine.handle(.recovered(pending: 9, at: 0))
            == [.close(.recovery, count: 4), .close(.recovery, count: 4), .close(.recovery, count: 1)])
        #expect(machine.handle(.readingCommitted(at: 1)) == [.append(index: 0)])
    }

    @Test("property: every reading is sealed exactly once, batches respect the count, nothing is left after shutdown",
          arguments: 0..<40)
    func property(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 7919)
        let maxReadings = Int.random(in: 1...20, using: &random)
        let maxAge = Int64.random(in: 1...500, using: &random)
        var machine = BatchAccumulator(policy: try BatchPolicy(maxReadings: maxReadings, maxAgeMilliseconds: maxAge))
        var time: Int64 = 0
        var committed = 0
        var open = 0          // appended, not yet sealed
        var sealed = 0
        var openedAt: Int64?  // time the open batch got its first reading (clock only moves forward here)
        func apply(_ actions: [Action], at now: Int64) throws {
            for action in actions {
                switch action {
                case .append(let index):
                    #expect(index == open)
                    if open == 0 { openedAt = now }
                    open += 1
                case .close(let reason, let count):
                    #expect(count == open, "close covers the whole open batch")
                    #expect((1...maxReadings).contains(count))
                    let opened = try #require(openedAt, "a batch closes only after a reading opened it")
                    if reason == .count { #expect(count == maxReadings) }
                    if reason == .age { #expect(now - opened >= maxAge) }
                    sealed += count
                    open = 0
                    openedAt = nil
                }
            }
            if open == 0 {
                #expect(openedAt == nil)
            } else {
                let opened = try #require(openedAt, "an open batch has an opening time")
                #expect(now - opened < maxAge, "no open batch outlives the age limit")
            }
            #expect(open < maxReadings)
        }
        for _ in 0..<Int.random(in: 0...300, using: &random) {
            time += Int64.random(in: 0...120, using: &random)
            if Bool.random(using: &random) || Int.random(in: 0..<4, using: &random) == 0 {
                committed += 1
                try apply(machine.handle(.readingCommitted(at: time)), at: time)
            } else {
                try apply(machine.handle(.tick(at: time)), at: time)
            }
            #expect(machine.openCount == open)
        }
        try apply(machine.handle(.shutdown(at: time)), at: time)
        #expect(open == 0)
        #expect(sealed == committed, "no reading left unsealed")
    }

    @Test("property: commit(n, at:) is n readingCommitted events in a row, closes and state alike",
          arguments: 0..<40)
    func bulkCommitMatchesSingleEvents(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 104_729)
        let policy = try BatchPolicy(maxReadings: Int.random(in: 1...20, using: &random),
                                     maxAgeMilliseconds: Int64.random(in: 1...500, using: &random))
        var single = BatchAccumulator(policy: policy)
        var bulk = single
        var time: Int64 = 1_000
        for _ in 0..<Int.random(in: 0...60, using: &random) {
            time += Int64.random(in: -50...150, using: &random)  // backward steps included
            if Int.random(in: 0..<5, using: &random) == 0 {
                #expect(bulk.handle(.tick(at: time)) == single.handle(.tick(at: time)))
                continue
            }
            let count = Int.random(in: 0...45, using: &random)
            var expected: [Action] = []
            for _ in 0..<count {
                for case .close(let reason, let size) in single.handle(.readingCommitted(at: time)) {
                    expected.append(.close(reason, count: size))
                }
            }
            #expect(bulk.commit(count, at: time).map { Action.close($0.reason, count: $0.count) } == expected)
            #expect(bulk == single)
        }
        #expect(bulk.handle(.shutdown(at: time)) == single.handle(.shutdown(at: time)))
    }
}
