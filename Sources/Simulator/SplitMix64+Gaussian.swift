public import Telemetry

extension SplitMix64 {
    /// A standard normal deviate (Box-Muller; the second value of each pair is kept for the next call).
    public mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        var u1 = nextDouble()
        while u1 <= .leastNormalMagnitude { u1 = nextDouble() }
        let u2 = nextDouble()
        let radius = (-2 * Math.logarithm(u1)).squareRoot()
        let angle = Math.twoPi * u2
        spareGaussian = radius * Math.sine(angle)
        return radius * Math.cosine(angle)
    }

    /// A normal deviate with the given mean and standard deviation.
    public mutating func gaussian(mean: Double, sd: Double) -> Double {
        mean + sd * gaussian()
    }
}
