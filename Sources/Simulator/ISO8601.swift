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
        let (year, month, day) = civil(fromDays: days)
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

    /// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
