public import Ingest

/// A bed's last hour as a small inline SVG: heart rate (red, 30-200 /min) and SpO2 (blue,
/// 70-100 %), one point per minute, the latest values written beside it.
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
        svg += "aria-label=\"last hour: heart rate and SpO2\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" fill=\"#fafafa\" stroke=\"#ddd\"/>"
        if !heartRate.isEmpty { svg += "<polyline class=\"hr\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" points=\"\(heartRate)\"/>" }
        if !spo2.isEmpty { svg += "<polyline class=\"spo2\" fill=\"none\" stroke=\"#2c6fbb\" stroke-width=\"1.5\" points=\"\(spo2)\"/>" }
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"30\" font-size=\"12\" fill=\"#c0392b\">\(lastHR)</text>"
        svg += "<text x=\"\(Int(Self.width) + 6)\" y=\"55\" font-size=\"12\" fill=\"#2c6fbb\">\(lastSpO2)</text>"
        return svg + "</svg>\n"
    }

    /// `x,y` pairs of the minutes that have a value; x runs over the last 60 minutes.
    private func points(_ value: (BedStatus.Minute) -> Double?) -> String {
        history.compactMap { minute -> String? in
            guard let y = value(minute) else { return nil }
            let minutesAgo = Double(now - minute.start) / 60_000
            let x = max(0, min(Self.width, Self.width * (1 - minutesAgo / 60)))
            return "\(rounded(x)),\(rounded(y))"
        }.joined(separator: " ")
    }

    /// `value` between `low` and `high` as a y coordinate (top is high), clamped.
    private func scale(_ value: Double, _ low: Double, _ high: Double) -> Double {
        let fraction = max(0, min(1, (value - low) / (high - low)))
        return Self.height - 4 - fraction * (Self.height - 8)
    }

    private func rounded(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}
