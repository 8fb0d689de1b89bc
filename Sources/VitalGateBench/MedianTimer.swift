/// Times a short operation: microseconds per call, the median of 9 rounds of calls that take
/// `seconds` in all (one warm-up call and one probe call size the rounds).
enum MedianTimer {
    static func microsPerCall(seconds budget: Double, _ body: () -> Void) -> Double {
        body()
        let probe = ContinuousClock.now
        body()
        let once = max(1e-7, seconds(ContinuousClock.now - probe))
        let perRound = max(1, Int(budget / 9 / once))
        var rounds: [Double] = []
        for _ in 0..<9 {
            let start = ContinuousClock.now
            for _ in 0..<perRound { body() }
            rounds.append(seconds(ContinuousClock.now - start) / Double(perRound) * 1e6)
        }
        return rounds.sorted()[rounds.count / 2]
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
