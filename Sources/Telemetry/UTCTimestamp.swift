/// UTC timestamps as ISO 8601 text (FHIR `dateTime` and `instant`).
public enum UTCTimestamp {
    /// `YYYY-MM-DDThh:mm:ss.sssZ` for `ms` milliseconds since the epoch.
    public static func iso8601(milliseconds ms: Int64) -> String {
        let (seconds, millis) = ms.quotientAndRemainder(dividingBy: 1000)
        let adjustedSeconds = millis < 0 ? seconds - 1 : seconds
        let ms3 = millis < 0 ? millis + 1000 : millis
        let (days, secOfDay) = adjustedSeconds.quotientAndRemainder(dividingBy: 86_400)
        let d = secOfDay < 0 ? days - 1 : days
        let s = secOfDay < 0 ? secOfDay + 86_400 : secOfDay
        let (y, m, dd) = civilFromDays(Int(d))
        func pad(_ v: Int, _ w: Int) -> String {
            let t = String(v)
            return String(repeating: "0", count: max(0, w - t.count)) + t
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(dd, 2))T\(pad(Int(s / 3600), 2)):\(pad(Int(s % 3600 / 60), 2)):"
            + "\(pad(Int(s % 60), 2)).\(pad(Int(ms3), 3))Z"
    }

    /// Year, month and day of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
