/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable 64-bit generator, the one
/// the simulator and the randomised tests use.
///
/// Every random draw in the simulator goes through this type and its own helpers (never the
/// standard library's `random(in:)`, whose algorithm may change between releases), so the same
/// seed gives byte-identical telemetry on every run, and a randomised test the same inputs on
/// every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// The second deviate of the last Box-Muller pair (the simulator's `gaussian()`).
    package var spareGaussian: Double?

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// A generator for an independent sub-stream, derived from `seed` and a stream label.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.state = mixer.next() ^ stream
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `0..<1` with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextDouble()
    }

    /// A uniform integer in `0..<bound` (multiply-shift; the bias is below 2^-32 for our bounds).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(below: range.upperBound - range.lowerBound + 1)
    }

    /// A uniform 64-bit integer in `range`.
    public mutating func int64(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(int(below: Int(range.upperBound - range.lowerBound + 1)))
    }

    /// `true` with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && nextDouble() < p
    }

    /// An element of `elements` chosen uniformly.
    public mutating func pick<T>(_ elements: [T]) -> T {
        elements[int(below: elements.count)]
    }
}
