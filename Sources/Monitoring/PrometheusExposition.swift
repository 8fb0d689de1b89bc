public import Telemetry

/// Writes the Prometheus text exposition format (version 0.0.4): each family's `# HELP` and
/// `# TYPE` lines, then its samples. Names follow the conventions `promtool check metrics`
/// enforces: a `vitalgate_` prefix, `_total` on counters, base units (`_seconds`, `_bytes`).
public struct PrometheusExposition: Sendable {
    /// A family's type.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The text so far.
    public private(set) var text = ""

    /// The content type of the format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init() {}

    /// Starts a family.
    public mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// A family of one sample.
    public mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help)
        sample(name, [], value)
    }

    /// A counter or gauge family with one sample per label set (a family with no samples is
    /// still declared, so that dashboards find it).
    public mutating func labelled(_ name: String, _ kind: Kind, _ help: String, _ samples: [([(String, String)], Double)]) {
        family(name, kind, help)
        for (labels, value) in samples { sample(name, labels, value) }
    }

    /// A histogram's buckets, sum and count.
    public mutating func histogram(_ name: String, _ help: String, _ histogram: LatencyHistogram) {
        family(name, .histogram, help)
        for (bound, count) in zip(histogram.bounds, histogram.cumulative) {
            sample(name + "_bucket", [("le", Self.format(bound))], Double(count))
        }
        sample(name + "_bucket", [("le", "+Inf")], Double(histogram.count))
        sample(name + "_sum", [], histogram.sum)
        sample(name + "_count", [], Double(histogram.count))
    }

    /// A number as the format writes it: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escapeLabel(_ value: String) -> String { escape(value, quotes: true) }

    /// A help text with `\` and newlines escaped.
    static func escapeHelp(_ value: String) -> String { escape(value, quotes: false) }

    private static func escape(_ value: String, quotes: Bool) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
