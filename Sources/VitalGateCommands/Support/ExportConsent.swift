import Consent
import ConsentDocuments
import Delivery
import FoundationEssentials
import Telemetry
import Vault

/// Consent for `vitalgate export` (issue 21): every record is checked for the export's
/// `--recipient` and `--purpose` as a sink checks it; a record not permitted is left out and
/// counted, one whose identity is denied names the patient by the pseudonym. Once the output is
/// written, one disclosure per patient is recorded (channel `export`).
struct ExportConsent {
    let consent: SinkConsent
    /// Where the export's disclosures are recorded.
    let recorder: any DisclosureRecorder
    /// When the export discloses (ms since the epoch).
    let now: Int64
    /// The records that went, with what each disclosed.
    private(set) var sent: [(recordID: Int64, disclosed: SinkConsent.Disclosed)] = []
    /// Records left out: consent does not permit them.
    private(set) var withheld = 0
    /// Records written with the pseudonym instead of the MRN.
    private(set) var identityWithheld = 0

    init(consent: SinkConsent, recorder: any DisclosureRecorder, now: Int64) {
        self.consent = consent
        self.recorder = recorder
        self.now = now
    }

    /// The recipient an export goes to unless `--recipient` names another: the owning
    /// hospital's own export, a treatment recipient under the default policy.
    static let defaultRecipient = "local-export"

    /// The book an export asks: the agent's policy (`[consent]` of the configuration at
    /// `configPath`, else of the file `run` would read, else the built-in defaults: consent off)
    /// with the consent records stored in `vault`, as the agent loads them.
    static func book(configPath: String?, vault: Vault) throws -> ConsentBook {
        let path = configPath ?? AgentOptions.defaultConfigPaths.first { FileManager.default.fileExists(atPath: $0) }
        let config = try path.map { path throws(ConfigError) in try AgentConfig.load(path: path) } ?? AgentConfig()
        let book = ConsentBook(policy: config.consentPolicy)
        for stored in try vault.consentDocuments() {
            // A stored document that no longer parses is left out (the agent logs it at start).
            if let signed = try? SignedConsent(bytes: stored.envelope) { book.apply(signed.document.record) }
        }
        return book
    }

    /// `record` as it may be exported, or `nil` when consent does not permit it.
    mutating func admit(_ record: ExportedReading) -> ExportedReading? {
        guard let patient = record.patient else { return record }
        let dataClass: DataClasses = record.reading.kind == .waveform ? .waveform : .vitals
        guard let disclosed = decide(patient: patient, dataClass: dataClass, dataTime: record.reading.receivedAt) else { return nil }
        sent.append((record.id, disclosed))
        var admitted = record
        if !disclosed.classes.contains(.identity) { admitted.patient = nil }
        return admitted
    }

    /// An exported alert (`patient`, `patient_pseudonym`, `record_id`, `t`) as it may be
    /// exported (`patient` null when identity is denied), or `nil` when consent does not permit it.
    mutating func admit(alert: JSONValue) -> JSONValue? {
        guard let patient = alert["patient"]?.stringValue, case .object(var members) = alert else { return alert }
        let raised = alert["t"]?.numberValue.flatMap { Int64(exactly: $0) } ?? now
        guard let disclosed = decide(patient: patient, dataClass: .alerts, dataTime: raised) else { return nil }
        if let record = alert["record_id"]?.numberValue.flatMap({ Int64(exactly: $0) }) { sent.append((record, disclosed)) }
        if !disclosed.classes.contains(.identity), let index = members.firstIndex(where: { $0.key == "patient" }) {
            members[index].value = .null
        }
        return .object(members)
    }

    private mutating func decide(patient: String, dataClass: DataClasses, dataTime: Int64) -> SinkConsent.Disclosed? {
        switch consent.check(patient: patient, dataClass: dataClass, sendsIdentity: true, dataTime: dataTime, now: now) {
        case .success(let disclosed):
            if !disclosed.classes.contains(.identity) { identityWithheld += 1 }
            return disclosed
        case .failure:
            withheld += 1
            return nil
        }
    }

    /// The export's disclosures, one per patient (and consent basis).
    var disclosures: [Disclosure] { consent.disclosures(sent, channel: .export, at: now) }

    /// Records the export's disclosures (after its output was written).
    func record() throws {
        let disclosures = disclosures
        guard !disclosures.isEmpty else { return }
        try recorder.record(disclosures)
    }
}
