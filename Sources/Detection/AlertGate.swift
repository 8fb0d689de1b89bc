/// The ensemble's persistence rule: a finding becomes an alert when its score reaches the
/// threshold and no alert of the same kind for the same device (or, for patient-level
/// findings, the same patient) was raised within the repeat interval. A persisting
/// condition therefore yields one alert and then a reminder per interval, not a storm.
///
/// Episodic findings (windowed and trend statistics) are alerted once per episode: an episode
/// lasts while the finding keeps recurring with gaps shorter than `episodeClearMs`, so a window
/// that still holds the evidence of an ended condition cannot raise a late reminder. The time a
/// finding was last seen is kept under the gate key plus `episodeSuffix` (same prefixes, so
/// per-patient snapshots carry it; older snapshots without it simply start a new episode).
struct AlertGate: Equatable {
    static let episodeSuffix = "#seen"

    private(set) var lastRaised: [String: Int64] = [:]

    static func key(_ finding: Finding, patient: String?) -> String {
        (finding.device.map { "d:" + $0.rawValue } ?? "p:" + (patient ?? "")) + "|" + finding.kind
    }

    mutating func admit(_ finding: Finding, patient: String?, at now: Int64, config: DetectionConfig) -> Bool {
        guard finding.score >= config.threshold(for: finding.kind) else { return false }
        let key = Self.key(finding, patient: patient)
        if finding.episodic {
            let seen = key + Self.episodeSuffix
            let previous = lastRaised[seen]
            lastRaised[seen] = now
            if let previous, now - previous < config.episodeClearMs { return false }
        }
        if let last = lastRaised[key], now - last < config.repeatIntervalMs { return false }
        lastRaised[key] = now
        return true
    }

    /// Entries whose key starts with one of `prefixes`, for per-patient snapshots.
    func entries(withPrefixes prefixes: [String]) -> [(String, Int64)] {
        lastRaised.filter { entry in prefixes.contains { entry.key.hasPrefix($0) } }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    mutating func set(_ key: String, _ time: Int64) { lastRaised[key] = time }

    mutating func forget(withPrefixes prefixes: [String]) {
        lastRaised = lastRaised.filter { entry in !prefixes.contains { entry.key.hasPrefix($0) } }
    }
}
