import Consent
import Logging
import Synchronization
import Vault

/// What consent did with the records of one delivery (or one pass over held records).
struct ConsentOutcomes {
    /// The records that go, each with what it discloses (records without a patient are not here).
    var sent: [(recordID: Int64, disclosed: SinkConsent.Disclosed)] = []
    /// Records held back (policy `hold`).
    var held: [Vault.ConsentHold] = []
    /// Records passed over for good (policy `skip`), with the reason.
    var skipped: [(Int64, String)] = []
    /// Of `sent`: named by the pseudonym, since identity was denied.
    var identityWithheld = 0
    /// Of `sent`: break-glass access.
    var breakGlass = 0

    /// Records the cursor passes without sending them.
    var passedOver: Int { held.count + skipped.count }

    /// Adds these outcomes to a worker's counters (outcome → records).
    func count(into counts: inout [String: Int]) {
        for (outcome, records) in [("permitted", sent.count), ("identity_withheld", identityWithheld),
                                   ("break_glass", breakGlass), ("held", held.count), ("skipped", skipped.count)]
        where records > 0 {
            counts[outcome, default: 0] += records
        }
    }
}

/// Where a worker's pass over its held records stands: a pass starts when the consent book
/// changed, or every ``DeliveryWorker/holdRecheckMs`` (a consent's period may begin by itself),
/// and goes through the holds a page per round.
struct HoldPass {
    /// The book's generation the last finished pass saw (`nil`: none yet, as after a start).
    var generation: UInt64?
    /// When the last pass finished (ms).
    var finishedAt: Int64 = .min
    /// The pass under way: the generation it checks against, and the last record it reached.
    var current: (generation: UInt64, after: Int64)?
}

extension DeliveryWorker {
    /// How often held records are checked again when the consent book did not change (ms).
    public static let holdRecheckMs: Int64 = 60_000

    /// Checks `entries` against the sink's consent: returns what goes (the MRN removed where
    /// identity is denied), and notes in `outcomes` what is held or skipped. Held records being
    /// checked again (`releasing`) that are still denied stay where they are.
    func check(_ entries: [OutboxEntry], into outcomes: inout ConsentOutcomes, releasing: Bool) -> [OutboxEntry] {
        guard let consent else { return entries }
        let now = clock.wallMs()
        let sendsIdentity = sink.sendsIdentity
        var sent: [OutboxEntry] = []
        sent.reserveCapacity(entries.count)
        for entry in entries {
            switch consent.check(entry, sendsIdentity: sendsIdentity, now: now) {
            case .noPatient(let entry):
                sent.append(entry)
            case .permitted(let entry, let disclosed):
                sent.append(entry)
                outcomes.sent.append((entry.id, disclosed))
                if sendsIdentity, entry.identityWithheld { outcomes.identityWithheld += 1 }
                if disclosed.basis == .breakGlass { outcomes.breakGlass += 1 }
            case .denied(let reason):
                guard !releasing else { continue }
                switch consent.whenDenied {
                case .hold(let ms): outcomes.held.append(Vault.ConsentHold(recordID: entry.id, until: now &+ ms, reason: reason))
                case .skip: outcomes.skipped.append((entry.id, reason))
                }
            }
        }
        return sent
    }

    /// The disclosures of a confirmed delivery (`sent` but the records the receiver refused): one
    /// per patient and basis. With ``SinkConsent/Accounting/recorder(_:)`` they are recorded now,
    /// before the cursor moves, and none are returned; with ``SinkConsent/Accounting/vault(windowMs:)``
    /// they are returned, for the transaction that moves the cursor. Break-glass access is also
    /// logged (no patient data).
    /// - Throws: ``DeliveryError`` `.disclosureNotRecorded` when the recorder fails: the cursor
    ///   stays, and the records go again (receivers hold each once) until it is recorded.
    func accountDisclosures(_ sent: [(recordID: Int64, disclosed: SinkConsent.Disclosed)],
                            refused: [(recordID: Int64, reason: String)], at time: Int64) throws(DeliveryError) -> [Disclosure] {
        guard let consent, !sent.isEmpty else { return [] }
        let refusedIDs = Set(refused.map(\.recordID))
        let disclosures = consent.disclosures(refusedIDs.isEmpty ? sent : sent.filter { !refusedIDs.contains($0.recordID) },
                                              channel: .sink(sinkName), at: time)
        guard !disclosures.isEmpty else { return [] }
        let breakGlass = disclosures.filter(\.isBreakGlass)
        if !breakGlass.isEmpty {
            logger.notice("break-glass disclosure (recorded and flagged in the disclosure log)", metadata: [
                "sink": "\(sinkName)", "recipient": "\(consent.recipient)", "patients": "\(breakGlass.count)",
                "records": "\(breakGlass.map(\.count).reduce(0, +))"])
        }
        guard case .recorder(let recorder) = consent.accounting else { return disclosures }
        do {
            try recorder.record(disclosures)
        } catch {
            throw DeliveryError(.disclosureNotRecorded, "the receiver confirmed, but the disclosures could not be recorded")
        }
        return []
    }

    /// The window over which the vault joins this sink's disclosures (0: none, or a recorder).
    var disclosureWindowMs: Int64 {
        guard case .vault(let windowMs)? = consent?.accounting else { return 0 }
        return windowMs
    }

    /// Seals the sink's disclosure aggregates whose window ended, when no delivery did it
    /// (deliveries seal them with the cursor's move): checked every minute at most.
    func sealDueDisclosures(_ vault: Vault) throws(VaultError) {
        let windowMs = disclosureWindowMs
        let now = clock.wallMs()
        guard windowMs > 0, now >= nextDisclosureCheck else { return }
        nextDisclosureCheck = now + min(windowMs, 60_000)
        try vault.sealDueDisclosures(sink: sinkName, now: now, windowMs: windowMs)
    }

    /// Ends the holds whose window ended (skipped, with the reason), then takes the next page of
    /// a pass over the holds: what consent now permits goes to the sink (released), records that
    /// can no longer go (erased, pruned) are skipped. Returns whether it settled any hold.
    func settleHolds(_ vault: Vault) throws -> Bool {
        guard let consent else { return false }
        let now = clock.wallMs()
        var settled = false
        let expired = try vault.expiredConsentHolds(sinkName, now: now, limit: configuration.batchLimit)
        if !expired.isEmpty {
            try vault.settleConsentHolds(sinkName, released: [], deadLetters: [],
                                         skipped: expired.map { ($0.recordID, "the hold window ended; \($0.reason)") }, at: now)
            counters.withLock { $0.consent["skipped", default: 0] += expired.count }
            settled = true
        }
        let generation = consent.book.generation
        if holdPass.current.map({ $0.generation != generation })
            ?? (holdPass.generation != generation || now - holdPass.finishedAt >= Self.holdRecheckMs) {
            holdPass.current = (generation, 0)
        }
        guard let pass = holdPass.current else { return settled }
        let ids = try vault.consentHolds(sinkName, after: pass.after, limit: configuration.batchLimit)
        guard let last = ids.last else {
            holdPass = HoldPass(generation: pass.generation, finishedAt: now, current: nil)
            return settled
        }
        let (entries, gone) = try vault.outboxEntries(ids: ids)
        var outcomes = ConsentOutcomes()
        let sending = check(entries, into: &outcomes, releasing: true)
        var receipt = DeliveryReceipt()
        var disclosures: [Disclosure] = []
        if !sending.isEmpty {
            counters.withLock { $0.attempts += 1 }
            receipt = try sink.deliver(sending)
            disclosures = try accountDisclosures(outcomes.sent, refused: receipt.deadLetters, at: clock.wallMs())
        }
        holdPass.current = (pass.generation, last)
        guard !sending.isEmpty || !gone.isEmpty else { return settled }
        try vault.settleConsentHolds(sinkName, released: sending.map(\.id),
                                     deadLetters: receipt.deadLetters.map { ($0.recordID, $0.reason) }, skipped: gone, at: now,
                                     disclosures: disclosures, windowMs: disclosureWindowMs)
        let delivered = sending.count - receipt.deadLetters.count
        counters.withLock {
            $0.delivered += delivered
            $0.deadLetters += receipt.deadLetters.count
            outcomes.count(into: &$0.consent)
            if delivered > 0 { $0.consent["released", default: 0] += delivered }
            if !gone.isEmpty { $0.consent["skipped", default: 0] += gone.count }
        }
        return true
    }
}
