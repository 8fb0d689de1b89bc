extension AgentSnapshot {
    /// The consent registry sync (`[consent.registry]`): counts and ages only, no patient,
    /// grantee or pseudonym.
    public struct ConsentRegistry: Sendable, Equatable {
        /// Reads by outcome: `ok`, the refused step, `unavailable`, ….
        public var reads: [String: Int]
        /// The timestamp (Unix s) of the newest trusted block a verified read was made at.
        public var lastVerifiedBlockTimestamp: UInt64?
        /// Registry records removed for staleness (failed closed).
        public var failedClosed: Int

        public init(reads: [String: Int], lastVerifiedBlockTimestamp: UInt64?, failedClosed: Int) {
            self.reads = reads
            self.lastVerifiedBlockTimestamp = lastVerifiedBlockTimestamp
            self.failedClosed = failedClosed
        }
    }

    func writeConsentRegistry(_ out: inout PrometheusExposition) {
        out.labelled("vitalgate_consent_registry_reads_total", .counter,
                     "Consent registry reads by outcome: ok, the step a refused read failed at, or unavailable.",
                     (consentRegistry?.reads ?? [:]).sorted { $0.key < $1.key }.map { ([("outcome", $0.key)], Double($0.value)) })
        out.labelled("vitalgate_consent_registry_verified_age_seconds", .gauge,
                     "Age of the newest trusted block a consent registry read verified at (none: no verified read yet).",
                     consentRegistry?.lastVerifiedBlockTimestamp.map {
                         [([], max(0, Double(takenAt) / 1000 - Double($0)))]
                     } ?? [])
        out.single("vitalgate_consent_registry_failed_closed_total", .counter,
                   "Registry consent records that stopped speaking: no verified read within the maximum staleness.",
                   Double(consentRegistry?.failedClosed ?? 0))
    }
}
