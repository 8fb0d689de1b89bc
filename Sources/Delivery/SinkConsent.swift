public import Consent
public import Vault

/// Consent where data leaves through one sink (issue 21, docs/CONSENT.md "Enforcement"): who
/// receives (`recipient`), why (`purpose`), the book that decides, what happens to a record it
/// does not permit, and where each disclosure is recorded once the receiver confirmed.
public struct SinkConsent: Sendable {
    /// What a sink does with a record consent does not permit now.
    public enum WhenDenied: Sendable, Equatable {
        /// Hold it back (by record id, in the vault) for this long (ms); delivered if consent
        /// arrives meanwhile, skipped with the reason once the window ends.
        case hold(ms: Int64)
        /// Pass over it for good, with the reason.
        case skip
    }

    /// The book that decides.
    public var book: ConsentBook
    /// The receiving party's id (what consent records and the policy name as an actor).
    public var recipient: String
    /// Why the sink's receiver gets the data.
    public var purpose: PurposeOfUse
    /// What happens to a record that is not permitted.
    public var whenDenied: WhenDenied
    /// How a confirmed delivery's disclosures are accounted.
    public enum Accounting: Sendable {
        /// In the vault, in the transaction that moves the sink's cursor (exactly once), joined
        /// per patient into one disclosure record per window of `windowMs` (0: one per delivery;
        /// docs/CONSENT.md, "Disclosure log"). The agent's sinks.
        case vault(windowMs: Int64)
        /// Through `recorder`, one per patient per delivery, before the cursor moves (at least
        /// once: a crash in between records again). Exports, and tests without a vault log.
        case recorder(any DisclosureRecorder)
    }

    /// How disclosures are accounted.
    public var accounting: Accounting

    /// Creates the consent of a sink whose disclosures go to `recorder`.
    public init(book: ConsentBook, recipient: String, purpose: PurposeOfUse = .treatment, whenDenied: WhenDenied = .hold(ms: 3_600_000),
                recorder: any DisclosureRecorder) {
        self.init(book: book, recipient: recipient, purpose: purpose, whenDenied: whenDenied, accounting: .recorder(recorder))
    }

    /// Creates the consent of a sink whose disclosures are accounted in the vault with its
    /// cursor, aggregated over `disclosureWindowMs`.
    public init(book: ConsentBook, recipient: String, purpose: PurposeOfUse = .treatment, whenDenied: WhenDenied = .hold(ms: 3_600_000),
                disclosureWindowMs: Int64) {
        self.init(book: book, recipient: recipient, purpose: purpose, whenDenied: whenDenied,
                  accounting: .vault(windowMs: max(0, disclosureWindowMs)))
    }

    private init(book: ConsentBook, recipient: String, purpose: PurposeOfUse, whenDenied: WhenDenied, accounting: Accounting) {
        self.book = book
        self.recipient = recipient
        self.purpose = purpose
        self.whenDenied = whenDenied
        self.accounting = accounting
    }

    /// What consent says of one outbox entry.
    public enum Verdict: Sendable {
        /// No patient (an unpaired device's reading): nothing to consent to, it goes as it is.
        case noPatient(OutboxEntry)
        /// It goes as given (the MRN removed when identity was denied), carrying `disclosed`.
        case permitted(OutboxEntry, Disclosed)
        /// It may not go now; the reason names classes, recipient, purpose and basis, never the patient.
        case denied(String)
    }

    /// What a permitted entry discloses, for its ``Disclosure``.
    public struct Disclosed: Sendable, Hashable {
        public var patient: String
        public var classes: DataClasses
        public var basis: ConsentDecision.Basis
    }

    /// The data class an entry carries: vitals or waveform by the reading's kind, or alerts.
    public static func dataClass(of entry: OutboxEntry) -> DataClasses {
        switch entry.content {
        case .reading(let reading): reading.kind == .waveform ? .waveform : .vitals
        case .alert: .alerts
        }
    }

    /// Decides `entry` for this sink at `now` (ms): its data class must be permitted; identity
    /// (asked for when the sink would send the MRN, `sendsIdentity`) is replaced by the
    /// pseudonym when denied. The time of the data is the gateway's arrival time
    /// (`receivedAt`): device clocks are not trusted to decide consent.
    public func check(_ entry: OutboxEntry, sendsIdentity: Bool, now: Int64) -> Verdict {
        guard let patient = entry.patient else { return .noPatient(entry) }
        switch check(patient: patient, dataClass: Self.dataClass(of: entry), sendsIdentity: sendsIdentity,
                     dataTime: entry.receivedAt, now: now) {
        case .success(let disclosed):
            var sent = entry
            if !disclosed.classes.contains(.identity) { sent.patient = nil }  // named by its pseudonym, or not at all
            return .permitted(sent, disclosed)
        case .failure(let denial):
            return .denied(denial.reason)
        }
    }

    /// Why an item may not go (no patient data in it).
    public struct Denial: Error, Sendable {
        public var reason: String
    }

    /// Decides one item of `patient`'s data of `dataClass`, measured (received) at `dataTime`,
    /// disclosed at `now`: what it discloses (identity included only when `sendsIdentity` and
    /// permitted), or why it may not go.
    public func check(patient: String, dataClass: DataClasses, sendsIdentity: Bool, dataTime: Int64,
                      now: Int64) -> Result<Disclosed, Denial> {
        let classes: DataClasses = sendsIdentity ? [dataClass, .identity] : dataClass
        let decision = book.decide(DisclosureRequest(patient: patient, recipient: recipient, purpose: purpose, classes: classes,
                                                     dataTime: dataTime, disclosedAt: now))
        guard decision.permits(dataClass) else {
            return .failure(Denial(reason: "consent: \(dataClass) denied to \(recipient) for \(purpose) (\(decision.basis.summary))"))
        }
        var disclosed = dataClass
        if sendsIdentity, decision.permits(.identity) { disclosed.insert(.identity) }
        return .success(Disclosed(patient: patient, classes: disclosed, basis: decision.basis))
    }

    /// The disclosures of one confirmed delivery: one per patient and consent basis (normally
    /// one per patient), with the classes actually sent and the record ranges.
    public func disclosures(_ sent: [(recordID: Int64, disclosed: Disclosed)], channel: Disclosure.Channel,
                            at time: Int64) -> [Disclosure] {
        struct Key: Hashable {
            var patient: String
            var basis: ConsentDecision.Basis
        }
        var groups: [Key: (classes: DataClasses, ids: [Int64])] = [:]
        var order: [Key] = []
        for (id, disclosed) in sent {
            let key = Key(patient: disclosed.patient, basis: disclosed.basis)
            if groups[key] == nil { order.append(key) }
            groups[key, default: ([], [])].classes.formUnion(disclosed.classes)
            groups[key, default: ([], [])].ids.append(id)
        }
        return order.map { key in
            let group = groups[key]!
            return Disclosure(patient: key.patient, recipient: recipient, channel: channel, purpose: purpose, basis: key.basis,
                              classes: group.classes, recordRanges: Disclosure.ranges(of: group.ids), count: group.ids.count,
                              disclosedAt: time)
        }
    }
}

extension ConsentDecision.Basis {
    /// A short name for reasons and logs: no record id (a document id may be anything).
    public var summary: String {
        switch self {
        case .patientConsent: "the patient's consent"
        case .defaultPolicy: "the default policy"
        case .breakGlass: "break-glass"
        }
    }
}
