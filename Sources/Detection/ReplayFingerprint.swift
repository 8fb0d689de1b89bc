import Telemetry

/// Detects replayed segments: a device re-sending earlier values under fresh seq/ts.
///
/// Each reading's value fingerprint is folded into a hash over the last `window` readings.
/// Content-defined sampling (hash mod 8 == 0) keeps about one window in eight; sampled
/// windows wait in a delay queue for `delayMs` (so a device's own recent past, a flatline or
/// a re-delivered duplicate never counts) and then enter a two-generation Bloom filter. A
/// replay makes nearly every sampled window hit the filter; natural data almost never does.
struct ReplayFingerprint: Equatable, StateCodable {
    static let window = 6
    static let bloomBits = 32_768
    static let hashes = 4
    static let generationMs: Int64 = 6 * 3_600_000
    static let delayMs: Int64 = 20 * 60_000
    static let maxPending = 256

    private var recentPrints = TimeRing(capacity: window)
    private var pendingTimes: [Int64] = []
    private var pendingHashes: [UInt64] = []
    /// Allocated on first use, so devices that never feed the filter (sparse ones) cost nothing.
    private var current: [UInt8] = []
    private var previous: [UInt8] = []
    private var generationStart: Int64 = 0
    /// Outcomes (1 = hit, 0 = miss) of the latest sampled queries, newest last.
    private var outcomes = TimeRing(capacity: 16)

    init() {}

    /// Feeds one reading's fingerprint. When this reading completes a sampled window, returns
    /// how many of the last `recent` sampled windows (this one included) matched earlier data.
    mutating func observe(_ print: UInt64, at now: Int64, recent: Int) -> (hits: Int, of: Int)? {
        recentPrints.append(Int64(bitPattern: print))
        if current.isEmpty {
            current = [UInt8](repeating: 0, count: Self.bloomBits / 8)
            previous = current
        }
        if generationStart == 0 { generationStart = now }
        if now - generationStart >= Self.generationMs {
            previous = current
            current = [UInt8](repeating: 0, count: Self.bloomBits / 8)
            generationStart = now
        }
        while let t = pendingTimes.first, now - t >= Self.delayMs || pendingTimes.count > Self.maxPending {
            insert(pendingHashes[0])
            pendingTimes.removeFirst()
            pendingHashes.removeFirst()
        }
        guard recentPrints.count == Self.window else { return nil }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in (0..<Self.window).reversed() { h = Fingerprint.mix(h, UInt64(bitPattern: recentPrints.recent(k)!)) }
        guard h & 7 == 0 else { return nil }
        outcomes.append(contains(h) ? 1 : 0)
        pendingTimes.append(now)
        pendingHashes.append(h)
        var hits = 0
        var n = 0
        while n < recent, let o = outcomes.recent(n) { hits += Int(o); n += 1 }
        return (hits, n)
    }

    /// Forgets the reading window (after a signal loss or a pairing change).
    mutating func breakWindow() { recentPrints = TimeRing(capacity: Self.window) }

    private func bit(_ h: UInt64, _ k: Int) -> Int {
        Int(Fingerprint.mix(h, UInt64(k) &* 0x9e37_79b9_7f4a_7c15) % UInt64(Self.bloomBits))
    }

    private mutating func insert(_ h: UInt64) {
        for k in 0..<Self.hashes {
            let i = bit(h, k)
            current[i >> 3] |= 1 << UInt8(i & 7)
        }
    }

    private func contains(_ h: UInt64) -> Bool {
        var inCurrent = true
        var inPrevious = true
        for k in 0..<Self.hashes {
            let i = bit(h, k)
            let mask: UInt8 = 1 << UInt8(i & 7)
            if current[i >> 3] & mask == 0 { inCurrent = false }
            if previous[i >> 3] & mask == 0 { inPrevious = false }
        }
        return inCurrent || inPrevious
    }

    func encode(to writer: inout StateWriter) {
        writer.write(recentPrints)
        writer.write(pendingTimes)
        writer.write(pendingHashes)
        writer.writeRaw(current)
        writer.writeRaw(previous)
        writer.write(generationStart)
        writer.write(outcomes)
    }

    init(from reader: inout StateReader) throws(DetectionStateError) {
        recentPrints = try reader.read()
        pendingTimes = try reader.read()
        pendingHashes = try reader.read()
        current = try reader.readRaw()
        previous = try reader.readRaw()
        generationStart = try reader.read()
        outcomes = try reader.read()
        guard pendingTimes.count == pendingHashes.count, [0, Self.bloomBits / 8].contains(current.count),
              previous.count == current.count, recentPrints.capacity == Self.window
        else { throw DetectionStateError("malformed replay fingerprint") }
    }
}

/// FNV-style hashing of reading values (stable across runs and platforms, unlike `Hasher`).
enum Fingerprint {
    static func mix(_ h: UInt64, _ x: UInt64) -> UInt64 {
        var z = (h ^ x) &* 0x100_0000_01b3
        z ^= z >> 29
        z = z &* 0xbf58_476d_1ce4_e5b9
        return z ^ (z >> 32)
    }

    /// Hash of a reading's values (not seq or time). `includeBattery` false for flatline checks,
    /// where a battery gauge ticking down does not count as live output.
    static func values(of reading: Reading, includeBattery: Bool) -> UInt64 {
        var h: UInt64 = 0x84222325
        for m in reading.measurements {
            if !includeBattery && m.channel == "battery" { continue }
            h = mix(h, UInt64(truncatingIfNeeded: m.channel.utf8.count))
            switch m.value {
            case .number(let x): h = mix(h, x.bitPattern)
            case .noSignal: h = mix(h, 0xdead)
            case .text(let s): for b in s.utf8 { h = mix(h, UInt64(b)) }
            case .flag(let b): h = mix(h, b ? 1 : 2)
            case .series(let xs): for x in xs { h = mix(h, x.bitPattern) }
            case .samples(let xs): h = mix(h, UInt64(xs.count))
            }
            if let q = m.quality { h = mix(h, q.bitPattern) }
        }
        return h
    }
}
