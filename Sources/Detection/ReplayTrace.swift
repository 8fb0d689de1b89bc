/// Replays re-sent with noise (values jittered, a fresh battery gauge) by a motion sensor, the
/// one source no second device contradicts. No exact fingerprint survives the jitter, but the
/// accelerometer's own noise does: the 20-s block means of its three axes are dominated by
/// sensor noise that physics never repeats, while a replay repeats it, and the jitter of a
/// re-send, averaged over a block, stays below it.
///
/// Block means (three axes) are kept for 12 h; once a minute the latest 12 blocks (4 min,
/// 36 values) are compared with every stretch at least 20 minutes old. A match needs an RMS
/// difference below `ratio` (0.7) times the window's own block noise (estimated robustly from
/// its consecutive differences); an unrelated stretch differs by about 1.4 times that noise, and
/// with 36 values meets the bound with probability around 10^-6; a replay also keeps matching at
/// the same lag (source and replay advance together), so three consecutive matches at one lag are
/// required (`DetectionConfig.replayTraceTests`; consecutive tests share 9 of their 12 blocks).
///
/// Memory: 2,160 blocks x 3 axes x 2 bytes (fixed point, 1/4096 g) for each device that reports
/// acceleration, allocated on first use. Cost: the scan of a lag stops as soon as its running
/// error exceeds the best so far.
struct ReplayTrace: Equatable, StateCodable {
    static let blockMs: Int64 = 20_000
    static let capacity = 2160
    static let axes = 3
    static let window = 12
    static let minimumLag = 60
    static let testEvery = 3
    static let ratio: Float = 0.7
    static let minimumNoise: Float = 0.001
    static let scale: Float = 4096
    static let missing = Int16.min

    /// Ring of block means (Int16 fixed point, little-endian, `axes` per block); empty until first use.
    private var blocks: [UInt8] = []
    private var head = 0
    private var count = 0
    private var block: Int64 = .min
    private var sums: [Float] = [0, 0, 0]
    private var n: Float = 0
    private var closedSinceTest = 0
    /// Lag (in blocks) of the latest match, and how many tests in a row matched at it.
    private(set) var lag = -1
    private(set) var streak = 0

    init() {}

    /// Adds one acceleration sample (three axes) at arrival time `now`. Returns the number of
    /// consecutive tests matching at one lag when a test ran, nil otherwise.
    mutating func add(_ xs: [Double], at now: Int64) -> Int? {
        guard xs.count == Self.axes else { return nil }
        let b = now / Self.blockMs
        var result: Int?
        if b != block {
            if block != .min {
                let gap = Int(min(max(b - block - 1, 0), Int64(Self.capacity)))
                push(n >= 5 ? sums.map { $0 / n } : nil)
                for _ in 0..<gap { push(nil) }
                closedSinceTest += 1
                if closedSinceTest >= Self.testEvery {
                    closedSinceTest = 0
                    result = test()
                }
            }
            block = b; sums = [0, 0, 0]; n = 0
        }
        for k in 0..<Self.axes { sums[k] += Float(xs[k]) }
        n += 1
        return result
    }

    private mutating func push(_ means: [Float]?) {
        if blocks.isEmpty { blocks = [UInt8](repeating: 0, count: 2 * Self.axes * Self.capacity) }
        for k in 0..<Self.axes {
            let v: Int16 = means.map { Int16(clamping: Int(($0[k] * Self.scale).rounded())) } ?? Self.missing
            let u = UInt16(bitPattern: v)
            let i = 2 * (Self.axes * head + k)
            blocks[i] = UInt8(u & 0xFF)
            blocks[i + 1] = UInt8(u >> 8)
        }
        head = (head + 1) % Self.capacity
        count = min(count + 1, Self.capacity)
    }

    /// Axis `axis` of the k-th most recent block (0 = newest), nil when missing.
    private func recent(_ k: Int, _ axis: Int) -> Float? {
        let slot = (head - 1 - k + 2 * Self.capacity) % Self.capacity
        let i = 2 * (Self.axes * slot + axis)
        let v = Int16(bitPattern: UInt16(blocks[i]) | UInt16(blocks[i + 1]) << 8)
        return v == Self.missing ? nil : Float(v) / Self.scale
    }

    private mutating func test() -> Int {
        let w = Self.window, d = Self.axes
        guard count >= w + Self.minimumLag else { return 0 }
        var latest = [Float](repeating: 0, count: w * d)
        for k in 0..<w {
            for a in 0..<d {
                guard let x = recent(k, a) else { streak = 0; return 0 }
                latest[k * d + a] = x
            }
        }
        // the window's own block noise, robustly from its consecutive differences (a movement or
        // a posture change inside the window must not widen the tolerance): for Gaussian noise
        // the median absolute difference of two blocks is 0.954 sigma
        var diffs: [Float] = []
        diffs.reserveCapacity((w - 1) * d)
        for k in 1..<w {
            for a in 0..<d { diffs.append(abs(latest[k * d + a] - latest[(k - 1) * d + a])) }
        }
        let noise = RingBuffer.median(&diffs) / 0.954
        guard noise >= Self.minimumNoise else { streak = 0; return 0 }
        var bestError = Self.ratio * Self.ratio * noise * noise * Float(w * d)
        var best = -1
        for l in Self.minimumLag...(count - w) {
            var e: Float = 0
            var k = 0
            scan: while k < w {
                for a in 0..<d {
                    guard let y = recent(l + k, a) else { e = .infinity; break scan }
                    let x = latest[k * d + a] - y
                    e += x * x
                }
                if e >= bestError { break }
                k += 1
            }
            if k == w, e < bestError { bestError = e; best = l }
        }
        if best < 0 {
            streak = 0
        } else {
            streak = abs(best - lag) <= 1 && streak > 0 ? streak + 1 : 1
        }
        lag = best
        return streak
    }

    /// Forgets the current block (after a signal loss or a pairing change).
    mutating func breakBlock() { block = .min; sums = [0, 0, 0]; n = 0; streak = 0 }

    func encode(to w: inout StateWriter) {
        w.writeRaw(blocks); w.write(head); w.write(count); w.write(block); w.write(sums); w.write(n)
        w.write(closedSinceTest); w.write(lag); w.write(streak)
    }

    init(from r: inout StateReader) throws(DetectionStateError) {
        blocks = try r.readRaw(); head = try r.read(); count = try r.read(); block = try r.read()
        sums = try r.read(); n = try r.read(); closedSinceTest = try r.read(); lag = try r.read(); streak = try r.read()
        guard [0, 2 * Self.axes * Self.capacity].contains(blocks.count), (0..<Self.capacity).contains(head),
              (0...Self.capacity).contains(count), blocks.count > 0 || count == 0, sums.count == Self.axes,
              sums.allSatisfy(\.isFinite), n.isFinite
        else { throw DetectionStateError("malformed replay trace") }
    }
}
