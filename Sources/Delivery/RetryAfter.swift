/// A `Retry-After` header (RFC 9110 §10.2.3): delay seconds, or an HTTP-date in the IMF-fixdate
/// form every server sends (`Sun, 06 Nov 1994 08:49:37 GMT`).
enum RetryAfter {
    /// The wait it asks for, in milliseconds, capped at an hour; nil when absent or unreadable.
    /// `nowMs` is the wall clock (ms since the epoch), for an HTTP-date.
    static func milliseconds(_ header: String?, nowMs: Int64) -> Int? {
        guard let text = header else { return nil }
        let words = text.split(separator: " ")
        if words.count == 1, let seconds = Int(words[0]), seconds >= 0 { return min(seconds, 3600) * 1000 }
        guard let dateMs = httpDateMs(text) else { return nil }
        return Int(max(0, min(dateMs - nowMs, 3_600_000)))
    }

    /// An IMF-fixdate as ms since the epoch.
    static func httpDateMs(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]),
              let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3, (1...31).contains(day), (0..<24).contains(time[0]), (0..<60).contains(time[1]),
              (0..<61).contains(time[2]) else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return (Int64(days) * 86_400 + Int64(time[0] * 3600 + time[1] * 60 + time[2])) * 1000
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
