import Consent
import ConsentDocuments
import Cryptography
import Fleet
import MQTT
import Telemetry
import Vault

extension IngestService {
    /// Puts the consent records stored in the vault into the book (at start). A stored document
    /// that no longer parses is skipped and logged (no patient named); the rest still load.
    func loadConsentBook() {
        guard let book = configuration.consent?.book else { return }
        do {
            var loaded = 0
            for stored in try store.consentDocuments() {
                do {
                    let signed = try SignedConsent(bytes: stored.envelope)
                    book.apply(signed.document.record)
                    loaded += 1
                } catch {
                    logger.error("a stored consent document does not parse; skipped", metadata: ["error": "\(error.reason.code)"])
                }
            }
            if loaded > 0 { logger.info("consent records loaded", metadata: ["records": "\(loaded)"]) }
        } catch {
            logger.error("cannot load the stored consent records", metadata: ["error": "\(error)"])
        }
    }

    /// Whether `message` came on a consent topic.
    func isConsentDocument(_ message: InboundMessage) -> Bool {
        message.topic.hasSuffix("/consent") && configuration.consentTopics.contains(message.topic)
    }

    /// Judges one consent document and, if it passes, stores it (encrypted under the patient's
    /// key, with its high-water mark) and puts its record in the book. Runs before the round
    /// that received it is acknowledged: a document the vault cannot store is not acknowledged
    /// (the connection is dropped and the broker redelivers it).
    func handleConsentDocument(_ message: InboundMessage, _ transport: any MessageTransport) {
        guard let consent = configuration.consent, let authority = consent.authority, !message.payload.isEmpty else { return }
        let now = clock.wallMs()
        let envelopeHash = SHA256.hash(message.payload)
        let signed: SignedConsent
        do {
            signed = try SignedConsent(bytes: message.payload)
        } catch {
            concludeConsent(.rejected(error), version: nil, recordKey: nil, envelopeHash: envelopeHash, at: now, transport)
            return
        }
        let record = signed.document.record
        let recordKey = store.consentRecordKey(patient: record.patient, id: record.id)
        let mark: ConsentHighWater?
        do throws(VaultError) { mark = try store.consentHighWater(recordKey) } catch {
            consentStoreFailed(error, transport)
            return
        }
        let verdict = ConsentVerifier.evaluate(signed, authority: authority, gatewayID: configuration.gatewayID,
                                               groups: Set(consent.groups), highWater: { _ in mark?.version },
                                               now: UInt64(clamping: now))
        switch verdict {
        case .failure(let rejection)
            where rejection.reason == .replay(version: signed.document.version, applied: signed.document.version)
            && mark?.digest == signed.contentHash:
            // The accepted document again, with valid signatures (a redelivery): nothing changes.
            concludeConsent(.duplicate, version: signed.document.version, recordKey: recordKey, envelopeHash: envelopeHash,
                            at: now, transport)
        case .failure(let rejection):
            concludeConsent(.rejected(rejection), version: signed.document.version, recordKey: recordKey,
                            envelopeHash: envelopeHash, at: now, transport)
        case .success(let accepted):
            let acceptance = ConsentAcceptance(patient: record.patient, recordKey: recordKey, version: accepted.document.version,
                                               digest: accepted.contentHash, envelope: Array(message.payload))
            let detail = Self.consentDetail(.applied, version: accepted.document.version, recordKey: recordKey,
                                            envelopeHash: envelopeHash, signers: accepted.signerKeyIDs)
            do throws(VaultError) {
                try store.storeConsent(acceptance, detail: JSONWriter.canonicalBytes(detail), at: now)
            } catch {
                consentStoreFailed(error, transport)
                return
            }
            consent.book.apply(accepted.record)
            concludeConsent(.applied, version: accepted.document.version, recordKey: recordKey, envelopeHash: envelopeHash,
                            at: now, transport, recorded: true, signers: accepted.signerKeyIDs)
        }
    }

    /// Counts, logs, records (as a `consent_<outcome>` event) and reports an outcome. Nothing in
    /// it names the patient: the record is named by a prefix of its keyed hash.
    private func concludeConsent(_ outcome: ConsentOutcome, version: UInt64?, recordKey: [UInt8]?, envelopeHash: [UInt8],
                                 at now: Int64, _ transport: any MessageTransport, recorded: Bool = false,
                                 signers: [String] = []) {
        metrics.consentDocuments[outcome.code, default: 0] += 1
        let detail = Self.consentDetail(outcome, version: version, recordKey: recordKey, envelopeHash: envelopeHash,
                                        signers: signers)
        if case .rejected(let rejection) = outcome {
            logger.warning("consent document rejected", metadata: ["code": "\(rejection.reason.code)",
                                                                    "version": "\(version.map(String.init) ?? "-")"])
        } else {
            logger.info("consent document \(outcome.code)", metadata: ["version": "\(version.map(String.init) ?? "-")"])
        }
        if !recorded {
            do {
                try store.recordGatewayEvent(type: "consent_" + String(outcome.code.map { $0 == "-" ? "_" : $0 }),
                                             detail: JSONWriter.canonicalBytes(detail), at: now)
            } catch {
                logger.warning("cannot record a consent outcome", metadata: ["error": "\(error)"])
            }
        }
        var report = detail.objectValue ?? []
        report.insert(("gateway", .string(configuration.gatewayID)), at: 0)
        report.append(("at", .number(Double(now))))
        guard transport.isConnected else { return }
        _ = try? transport.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.consentReported,
                                                       payload: JSONWriter.canonicalBytes(.object(report)), qos: 1, retain: false))
    }

    /// The vault could not look up or store a document: it stays unacknowledged (the broker
    /// redelivers it once the vault stores again), as a batch of readings would.
    private func consentStoreFailed(_ error: VaultError, _ transport: any MessageTransport) {
        metrics.consentDocuments["store-failed", default: 0] += 1
        storageFailed(error, messages: 1, transport)
    }

    /// What an outcome's event and report say: status, code and reason, the version, the
    /// record's keyed-hash prefix, the envelope's SHA-256 (what `consent push` prints), the signers.
    private static func consentDetail(_ outcome: ConsentOutcome, version: UInt64?, recordKey: [UInt8]?,
                                      envelopeHash: [UInt8], signers: [String]) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("status", .string(outcome.status))]
        if case .rejected(let rejection) = outcome {
            members.append(("code", .string(rejection.reason.code)))
            members.append(("reason", .string(rejection.reason.description)))
        }
        if let version { members.append(("version", .number(Double(version)))) }
        if let recordKey { members.append(("record", .string(Array(recordKey.prefix(8)).hexString))) }
        members.append(("envelope", .string(envelopeHash.hexString)))
        if !signers.isEmpty { members.append(("signers", .array(signers.map { .string($0) }))) }
        return .object(members)
    }
}

/// What became of one consent document.
enum ConsentOutcome {
    /// Accepted: stored and in the book.
    case applied
    /// The accepted version again (a redelivery): nothing changed.
    case duplicate
    /// Refused, with the reason.
    case rejected(ConfigRejection)

    /// The metric label and event suffix.
    var code: String {
        switch self {
        case .applied: "applied"
        case .duplicate: "duplicate"
        case .rejected(let rejection): rejection.reason.code
        }
    }

    /// The report's status.
    var status: String {
        switch self {
        case .applied: "applied"
        case .duplicate: "duplicate"
        case .rejected: "rejected"
        }
    }
}
