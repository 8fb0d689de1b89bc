import Cryptography
import Detection
import Fleet
import FoundationEssentials
import Glibc
import MQTT
import Telemetry
import Vault

extension IngestService {
    /// Judges one document from a desired-config topic and applies it as a whole, or records and
    /// reports why not. Runs between receive rounds, after the previous batch was stored and
    /// acknowledged, so no reading is in flight while settings switch.
    func handleConfigDocument(_ message: InboundMessage, transport client: inout any MessageTransport) {
        guard let fleet = configuration.fleet, !message.payload.isEmpty else { return }  // empty: retained copy cleared
        let now = UInt64(clock.wallMs())
        // Identify the document before judging it: the retained copy of what already runs comes
        // back on every reconnect and is not news.
        let parsed = Result { () throws(ConfigRejection) in try SignedConfig(bytes: message.payload) }
        let envelope = try? parsed.get()
        let hash = envelope.map { ConfigDocument.contentHash(of: $0.documentJSON) }
        if let envelope, let hash, fleetState.applied[envelope.document.target.key]?.contentHash == hash { return }
        // The same envelope is judged once per process (a re-signed copy of the same document is new).
        let envelopeHash = SHA256.hash(message.payload)
        guard judgedHashes.insert(envelopeHash).inserted else { return }
        let state = fleetState
        // Parsed once: a 64 KiB envelope of many keys cost twice its parse when judged from bytes.
        let verdict = parsed.flatMap {
            ConfigVerifier.evaluate($0, policy: state.policy ?? fleet.bootstrapPolicy,
                                    gatewayID: configuration.gatewayID, groups: Set(fleet.groups),
                                    appliedVersion: { state.appliedVersion(for: $0) }, now: now)
        }
        switch verdict {
        case .failure(let rejection):
            conclude(.rejected, rejection: rejection, envelope: envelope, hash: hash, signers: nil, client: client)
        case .success(let accepted):
            apply(accepted, envelope: envelope, transport: &client)
        }
    }

    private func apply(_ accepted: AcceptedConfig, envelope: SignedConfig?, transport client: inout any MessageTransport) {
        let now = UInt64(clock.wallMs())
        let next = fleetState.applying(accepted, at: now)
        let candidate: FleetRuntime
        do {
            candidate = try FleetRuntime(base: configuration, baseCatalog: baseCatalog, sections: next.sections)
        } catch {
            conclude(.rejected, rejection: error, envelope: envelope, hash: accepted.contentHash,
                     signers: accepted.signerKeyIDs, client: client)
            return
        }
        var previous: (any MessageTransport)?
        if candidate.broker != client.options.broker {
            guard let confirmed = confirmBroker(candidate, replacing: client) else {
                // Commit-confirmed: the new broker did not accept us in time. Back to the old one
                // (the main loop reconnects it) with nothing changed.
                conclude(.rolledBack, rejection: nil, envelope: envelope, hash: accepted.contentHash,
                         signers: accepted.signerKeyIDs, client: client,
                         spent: fleetState.rollingBack(version: accepted.version, for: accepted.document.target))
                return
            }
            previous = client
            client = confirmed
        }
        let report = ConfigReport(gateway: configuration.gatewayID, status: .applied, target: accepted.document.target.key,
                                  version: accepted.version, contentHash: accepted.contentHash, code: nil, reason: nil,
                                  running: next.applied.mapValues(\.version), at: now)
        do {
            try store.recordConfigOutcome(auditRecord(report, signers: accepted.signerKeyIDs), newFleetState: next.encoded)
        } catch {
            logger.error("cannot record an accepted configuration; nothing applied", metadata: ["error": "\(error)"])
            if let previous {
                client.disconnect()
                client = previous
            }
            metrics.configRejected += 1
            publisher.publishReport(ConfigReport(gateway: report.gateway, status: .rejected, target: report.target, version: report.version,
                                 contentHash: report.contentHash, code: "apply-failed",
                                 reason: "apply-failed: the vault could not record the document",
                                 running: fleetState.applied.mapValues(\.version), at: now), client)
            return
        }
        previous?.disconnect()
        switchRuntime(to: candidate, client: client)
        fleetState = next
        metrics.configApplied += 1
        logger.notice("configuration applied", metadata: [
            "target": "\(report.target ?? "")", "version": "\(accepted.version)", "signers": "\(accepted.signerKeyIDs)",
        ])
        publisher.publishReport(report, client)
    }

    /// Connects a new client to the candidate broker within the confirm timeout. The old
    /// connection is closed first (everything it delivered is stored and acknowledged).
    /// - Returns: the connected, subscribed client, or `nil` (the old client is then left
    ///   disconnected for the main loop to reconnect).
    private func confirmBroker(_ candidate: FleetRuntime, replacing old: any MessageTransport) -> (any MessageTransport)? {
        let timeoutMs = configuration.fleet?.confirmTimeoutMs ?? 30_000
        let deadline = clock.monotonicMs() + Int64(timeoutMs)
        if old.isConnected {
            publisher.announceOffline(old)
            old.disconnect()
        }
        var options = clientOptions(broker: candidate.broker)
        var attempt = 0
        while clock.monotonicMs() < deadline {
            attempt += 1
            options.connectTimeoutMs = max(100, Int(deadline - clock.monotonicMs()))
            do {
                let client = try configuration.transport(options)
                try client.connect()
                let saved = runtime
                runtime.topics = candidate.topics
                defer { runtime = saved }
                try subscribeAndAnnounce(client)
                logger.notice("broker change confirmed", metadata: ["broker": "\(candidate.broker)", "attempts": "\(attempt)"])
                return client
            } catch {
                logger.warning("broker change: cannot connect yet", metadata: ["broker": "\(candidate.broker)",
                                                                               "error": "\(error)"])
                clock.sleep(ms: 200)
            }
        }
        logger.error("broker change not confirmed in time; rolling back",
                     metadata: ["broker": "\(candidate.broker)", "timeout_ms": "\(timeoutMs)"])
        return nil
    }

    /// Puts a candidate runtime in force. Everything that could fail was checked when it was built.
    private func switchRuntime(to candidate: FleetRuntime, client: any MessageTransport) {
        let old = runtime
        runtime = candidate
        if client.isConnected, old.topics != candidate.topics {
            do {
                for topic in old.topics where !candidate.topics.contains(topic) { try client.unsubscribe(topic) }
                for topic in candidate.topics where !old.topics.contains(topic) { try client.subscribe(topic, qos: 1) }
            } catch {
                // A lost connection resubscribes from `runtime` when it comes back.
                logger.warning("subscription change interrupted", metadata: ["error": "\(error)"])
            }
        }
        decode.replaceCatalog(candidate.catalog)
        detect.configure(candidate.detection)
        if let policy = candidate.sealingPolicy { store.updateSealingPolicy(policy) }
        if old.ledger != candidate.ledger { configuration.ledgerControl?.apply(candidate.ledger) }
        if old.egress != candidate.egress { configuration.egressControl?.apply(candidate.egress) }
        if old.broker != candidate.broker { configuration.brokerObserver?(clientOptions(broker: candidate.broker)) }
    }

    /// Records and reports a rejection or rollback; the running configuration is untouched.
    private func conclude(_ status: ConfigReport.Status, rejection: ConfigRejection?, envelope: SignedConfig?,
                          hash: [UInt8]?, signers: [String]?, client: any MessageTransport, spent: FleetState? = nil) {
        let now = UInt64(clock.wallMs())
        let code = rejection?.reason.code ?? "broker-unconfirmed"
        let reason = rejection?.reason.description
            ?? "broker-unconfirmed: no connection to the new broker within \(configuration.fleet?.confirmTimeoutMs ?? 0) ms"
        let report = ConfigReport(gateway: configuration.gatewayID, status: status, target: envelope?.document.target.key,
                                  version: envelope?.document.version, contentHash: hash, code: code, reason: reason,
                                  running: fleetState.applied.mapValues(\.version), at: now)
        if status == .rolledBack { metrics.configRolledBack += 1 } else { metrics.configRejected += 1 }
        logger.warning("configuration \(status.rawValue)", metadata: ["code": "\(code)", "version": "\(report.version.map(String.init) ?? "-")"])
        do {
            try store.recordConfigOutcome(auditRecord(report, signers: signers ?? envelope?.signatures.map(\.keyID) ?? []),
                                          newFleetState: spent?.encoded)
            if let spent { fleetState = spent }
        } catch {
            logger.error("cannot record a configuration outcome", metadata: ["error": "\(error)"])
        }
        publisher.publishReport(report, client)
    }

    private func auditRecord(_ report: ConfigReport, signers: [String]) -> ConfigAuditRecord {
        var members: [(key: String, value: JSONValue)] = []
        if let target = report.target { members.append(("target", .string(target))) }
        if let version = report.version { members.append(("version", .number(Double(version)))) }
        if let hash = report.contentHash { members.append(("hash", .string(hash.hexString))) }
        members.append(("signers", .array(signers.map { .string($0) })))
        members.append(("outcome", .string(report.status.rawValue)))
        if let code = report.code { members.append(("code", .string(code))) }
        if let reason = report.reason { members.append(("reason", .string(reason))) }
        let type = switch report.status {
        case .applied: "config_applied"
        case .rejected: "config_rejected"
        case .rolledBack: "config_rolled_back"
        }
        return ConfigAuditRecord(type: type, detail: JSONWriter.canonicalBytes(.object(members)), at: Int64(report.at))
    }

}
