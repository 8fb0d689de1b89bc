import Telemetry

/// UTC timestamps in the ISO 8601 forms of DEVICES.md: `2026-11-23T08:00:00.123Z` and
/// `2026-11-23T08:00:00Z`.
enum ISO8601 {
    /// Formats `ms` (milliseconds since the Unix epoch, >= 0).
    static func string(_ ms: Int64, milliseconds: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(ms, milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the formatted timestamp (without quotes) to `bytes`.
    static func append(_ ms: Int64, milliseconds: Bool, to bytes: inout [UInt8]) {
        let clamped = max(0, ms)
        let seconds = clamped / 1000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = UTCTimestamp.civilFromDays(Int(days))
        PayloadWriter.appendDigits(UInt64(year), minimumDigits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        PayloadWriter.appendDigits(UInt64(month), minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        PayloadWriter.appendDigits(UInt64(day), minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        PayloadWriter.appendDigits(UInt64(secondOfDay / 3600), minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        PayloadWriter.appendDigits(UInt64(secondOfDay / 60 % 60), minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        PayloadWriter.appendDigits(UInt64(secondOfDay % 60), minimumDigits: 2, to: &bytes)
        if milliseconds {
            bytes.append(UInt8(ascii: "."))
            PayloadWriter.appendDigits(UInt64(clamped % 1000), minimumDigits: 3, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
    }
}
