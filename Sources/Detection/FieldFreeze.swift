import Glibc
import Telemetry

/// Partial freezes: one field of a fast device stops changing while the others move (a frozen
/// SpO2 estimate beside a live pulse rate, frozen accelerometer axes beside a live respiration
/// count). The whole-output flatline test cannot see these.
///
/// Each field (by its position in the reading, value only, quality and battery excluded)
/// learns how often it changes from one reading to the next (an EWMA of the change indicator).
/// A run of `L` unchanged readings is a freeze when a field that changes with probability `p`
/// would stay unchanged that long with probability below 10^-6, taken three times for the
/// serial correlation of physiological signals: `L = 3 ln(10^-6) / ln(1 - p)`, at least 20
/// readings. Fields that change rarely or slowly (`p` < 0.35: a posture, a flag, a perfusion index
/// wandering in 0.1 steps) never qualify, and a value
/// at the top of its physiological range (a saturation of 100 %, where oximeters pin) never
/// counts as unchanged, so a quiet field is not mistaken for a frozen one.
struct FieldFreeze: Equatable, StateCodable {
    static let fields = 8
    static let learnReadings = 300
    static let minimumChangeRate: Float = 0.35
    static let minimumRun = 20
    /// Readings of an unchanged run that still teach the change rate (later ones would let a
    /// freeze in progress teach the field to be quiet).
    static let learnRunLimit = 10

    var changeRate = [Float](repeating: 0, count: fields)
    var lastHash = [UInt64](repeating: 0, count: fields)
    var run = [Int](repeating: 0, count: fields)
    var samples = 0

    init() {}

    /// Run length that counts as frozen for a field changing with probability `p` per reading.
    static func requiredRun(changeRate p: Float) -> Int? {
        guard p >= minimumChangeRate else { return nil }
        let q = Double(min(p, 0.95))
        return max(minimumRun, Int((-41.447 / log(1 - q)).rounded(.up)))
    }

    /// Feeds one reading; returns the channels frozen at this reading, with their run lengths
    /// and the run length that made them count as frozen.
    mutating func observe(_ reading: Reading) -> [(channel: String, run: Int, needed: Int)] {
        var frozen: [(String, Int, Int)] = []
        var k = 0
        for m in reading.measurements where k < Self.fields {
            if m.channel == Channel.battery { continue }
            defer { k += 1 }
            let h: UInt64
            switch m.value {
            case .number(let x):
                // pinned at the top of the range (a saturation of 100 %): repeats are expected
                if TrackedChannel(m.channel)?.plausible.upperBound == x {
                    lastHash[k] = 0
                    run[k] = 0
                    continue
                }
                h = Fingerprint.mix(0x51, x.bitPattern)
            case .series(let xs): h = xs.reduce(UInt64(0x53)) { Fingerprint.mix($0, $1.bitPattern) }
            default: continue   // text, flags, samples, no signal: not tracked
            }
            let changed = h != lastHash[k]
            lastHash[k] = h
            run[k] = changed ? 0 : run[k] + 1
            // a freeze in progress must not teach the field to be quiet, but the natural runs of a
            // slowly wandering field (a perfusion index in 0.1 steps, runs of 5-10 readings and more) must;
            // 10, not more: a quiet integer SpO2 has runs of 10-20 too, and must stay trackable
            if run[k] < Self.learnRunLimit {
                changeRate[k] += (changed ? 1 - changeRate[k] : -changeRate[k]) / Float(min(samples + 1, 600))
            }
            if samples >= Self.learnReadings, let needed = Self.requiredRun(changeRate: changeRate[k]),
               run[k] >= needed {
                frozen.append((m.channel, run[k], needed))
            }
        }
        samples += 1
        return frozen
    }

    /// Forgets the runs (after a signal loss, when values restart).
    mutating func breakRuns() { run = [Int](repeating: 0, count: Self.fields) }

    func encode(to w: inout StateWriter) {
        w.write(changeRate); w.write(lastHash); w.write(run); w.write(samples)
    }

    init(from r: inout StateReader) throws(DetectionStateError) {
        changeRate = try r.read(); lastHash = try r.read(); run = try r.read(); samples = try r.read()
        guard changeRate.count == Self.fields, lastHash.count == Self.fields, run.count == Self.fields,
              changeRate.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), samples >= 0
        else { throw DetectionStateError("malformed field-freeze state") }
    }
}
