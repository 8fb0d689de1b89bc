public import Ingest

/// A bed's recent vitals as a small inline SVG: heart rate (red, 30-200 /min) and SpO2 (blue,
/// 70-100 %), one point per minute, over the last hour or, while the bed has less history, over
/// the last 10 minutes and up; the span and the latest values are written beside it.
public struct BedChart: Sendable {
    let history: [BedStatus.Minute]
    let now: Int64

    static let width = 300.0
    static let height = 80.0

    public init(_ history: [BedStatus.Minute], now: Int64) {
        self.history = history
        self.now = now
    }

    /// The chart (an empty string when there is nothing to draw).
    public var svg: String {
        let heartRate = points { $0.heartRate.map { scale($0, 30, 200) } }
        let spo2 = points { $0.spo2.map { scale($0, 70, 100) } }
        guard !heartRate.isEmpty || !spo2.isEmpty else { return "" }
        let lastHR = history.last { $0.heartRate != nil }?.heartRate.map { "HR \(Int($0.rounded())) /min" } ?? ""
        let lastSpO2 = history.last { $0.spo2 != nil }?.spo2.map { "SpO₂ \(Int($0.rounded())) %" } ?? ""
        var svg = "<svg class=\"chart\" width=\"\(Int(Self.width) + 110)\" height=\"\(Int(Self.height))\" role=\"img\" "
        svg += "aria-label=\"last \(spanMinutes) minutes: heart rate and SpO2\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" fill=\"#fafafa\" stroke=\"#ddd\"/>"
        if !heartRate.isEmpty { svg += line("hr", "#c0392b", heartRate) }
        if !spo2.isEmpty { svg += line("spo2", "#2c6fbb", spo2) }
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"12\" font-size=\"10\" fill=\"#666\">last \(spanMinutes) min</text>"
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"30\" font-size=\"12\" fill=\"#c0392b\">\(lastHR)</text>"
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"55\" font-size=\"12\" fill=\"#2c6fbb\">\(lastSpO2)</text>"
        return svg + "</svg>\n"
    }

    /// The minutes the x axis spans: the bed's history, at least 10 and at most 60.
    var spanMinutes: Int {
        let oldest = history.first.map { Double(now - $0.start) / 60_000 } ?? 0
        return Int(min(60, max(10, oldest.rounded(.up))))
    }

    /// A line through `points`, with a dot on each (one minute alone is still seen).
    private func line(_ name: String, _ colour: String, _ points: [(Double, Double)]) -> String {
        let coordinates = points.map { "\(rounded($0.0)),\(rounded($0.1))" }.joined(separator: " ")
        var svg = "<polyline class=\"\(name)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(coordinates)\"/>"
        for (x, y) in points { svg += "<circle cx=\"\(rounded(x))\" cy=\"\(rounded(y))\" r=\"2\" fill=\"\(colour)\"/>" }
        return svg
    }

    /// `(x, y)` of the minutes that have a value; x runs over the last `spanMinutes`, the
    /// middle of each minute.
    private func points(_ value: (BedStatus.Minute) -> Double?) -> [(Double, Double)] {
        let span = Double(spanMinutes)
        return history.compactMap { minute -> (Double, Double)? in
            guard let y = value(minute) else { return nil }
            let minutesAgo = max(0, Double(now - minute.start) / 60_000 - 0.5)
            return (max(2, min(Self.width - 2, Self.width * (1 - minutesAgo / span))), y)
        }
    }

    /// `value` between `low` and `high` as a y coordinate (top is high), clamped.
    private func scale(_ value: Double, _ low: Double, _ high: Double) -> Double {
        let fraction = max(0, min(1, (value - low) / (high - low)))
        return Self.height - 4 - fraction * (Self.height - 8)
    }

    private func rounded(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}
