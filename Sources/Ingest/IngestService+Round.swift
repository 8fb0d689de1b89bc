import Detection
import Vault
import MQTT
import Telemetry

/// One receive round: receive → decode → detect → store (on the store thread) → acknowledge.
extension IngestService {
    /// Hands the finished batches' outcomes over, acknowledges once everything received is
    /// stored, then receives and decodes the next batch and queues it for storing. Returns the
    /// configuration documents received (acknowledged like any message; retained copies come
    /// back if the agent stops first).
    ///
    /// Acknowledgements are written only when no received message is waiting for its commit
    /// and sync (the transport writes every withheld acknowledgement at once). Under a backlog
    /// that is when the broker's window (`max_inflight`) is used up, and the batches received
    /// until then are synced together; under live traffic, after each batch.
    func pumpOnce(_ transport: any MessageTransport, _ storer: StoreWorker) -> [InboundMessage] {
        settle(storer.takeOutcomes(), transport)
        guard transport.isConnected else { return [] }
        guard admitsNextBatch(transport, storer) else { return [] }  // the byte budget, before each batch
        let idle = storer.pending == 0
        if idle {
            acknowledgeStored(storer, transport)
        } else if transport.unacknowledgedCount >= Int(transport.options.maxInflight) {
            // The broker should stop at our receive maximum, but mosquitto 2.0.11 stops
            // honouring it after the first acknowledgements of a resumed session and sends a
            // whole backlog at once: without this, nothing would be acknowledged until it is
            // drained, and a crash meanwhile would bring all of it back.
            quiesce(storer, transport)
            return []
        }
        var batch: [InboundMessage]
        do {
            batch = try transport.receive(timeoutMs: idle ? 100 : 0, maxMessages: runtime.maxBatch)
        } catch {
            metrics.connectionLosses += 1
            logger.warning("connection lost", metadata: ["error": "\(error)"])
            return []
        }
        guard !batch.isEmpty else {
            if idle { try? transport.flush() } else { quiesce(storer, transport) }  // nothing more: sync and acknowledge
            return []
        }
        let receivedAt = clock.monotonicMs()
        if oldestUnacknowledgedMs == nil { oldestUnacknowledgedMs = receivedAt }
        let documents = takeConfigDocuments(from: &batch)
        guard !batch.isEmpty else { return documents }
        let (incoming, alerts) = decodeAndDetect(batch)
        // Double buffering: this batch was decoded while the previous one was stored; it is
        // handed over once that one is done, so at most two decoded batches are held.
        settle(storer.waitForRoom(), transport)
        guard transport.isConnected else { return [] }  // dropped: the broker redelivers this batch too
        if storage.budgetFull {  // `when_full = "block"`: refused like a batch the vault could not store
            storageFailed(VaultError(.budgetFull, "the vault is over [storage] max_bytes and nothing can be pruned"),
                          messages: incoming.count, transport)
            return documents
        }
        storer.submit(incoming, alerts: alerts.map(AlertRecord.init), receivedAtMs: receivedAt)  // published from the vault (local alerts sink)
        return documents
    }

    /// Removes the fleet and consent documents from a received batch (they are judged between
    /// rounds; consent documents before the round is acknowledged).
    private func takeConfigDocuments(from batch: inout [InboundMessage]) -> [InboundMessage] {
        let configTopics = documentTopics
        guard !configTopics.isEmpty else { return [] }
        var documents: [InboundMessage] = []
        batch.removeAll { message in
            guard configTopics.contains(message.topic) else { return false }
            documents.append(message)
            return true
        }
        return documents
    }

    /// The decode and detect stages over one batch.
    private func decodeAndDetect(_ batch: [InboundMessage]) -> (incoming: [IncomingMessage], alerts: [Alert]) {
        let now = clock.wallMs()
        var incoming: [IncomingMessage] = []
        incoming.reserveCapacity(batch.count)
        var alerts: [Alert] = []
        for message in batch {
            var watched: (DecodeOutcome, [Alert])?
            let outcome = decode.decode(message, at: now) { decoded in
                let raised = detect.process(decoded, at: now)
                alerts += raised
                if ward != nil { watched = (decoded, raised) }
            }
            if let (decoded, raised) = watched { watch(decoded, raised) }  // after decode: it reads the decoder's state
            incoming.append(IncomingMessage(topic: message.topic, payload: message.payload, receivedAt: now, outcome: outcome))
        }
        return (incoming, alerts)
    }

    /// Updates the status page's view of the beds with a decoded message and its alerts.
    private func watch(_ decoded: DecodeOutcome, _ raised: [Alert]) {
        if case .reading(let reading, _) = decoded { ward?.record(reading, state: decode.decoder.state(of: reading.device)) }
        for alert in raised { ward?.record(alert, state: alert.device.flatMap { decode.decoder.state(of: $0) }) }
    }

    /// Counts stored batches; on a failed one, drops the connection without acknowledging, so
    /// the broker redelivers it and everything received after it (after a backoff).
    func settle(_ outcomes: [StoreWorker.Outcome], _ transport: any MessageTransport) {
        for outcome in outcomes {
            switch outcome.result {
            case .success(let result):
                record(result, outcome)
                storageSucceeded(result)
            case .failure(let error):
                guard !outcome.skipped else { continue }  // queued behind a failed batch, not attempted
                storageFailed(error, messages: outcome.messages, transport)
            }
        }
    }

    /// Waits for every queued batch, then acknowledges. The store is this thread's afterwards.
    func quiesce(_ storer: StoreWorker, _ transport: any MessageTransport) {
        settle(storer.waitIdle(), transport)
        acknowledgeStored(storer, transport)
    }

    /// Acknowledges everything received (all of it is stored: call only with nothing pending).
    private func acknowledgeStored(_ storer: StoreWorker, _ transport: any MessageTransport) {
        settle(storer.takeOutcomes(), transport)  // a batch that just finished may have failed
        guard transport.isConnected, storer.pending == 0 else { return }
        do {
            try transport.acknowledge()
            oldestUnacknowledgedMs = nil
        } catch {
            metrics.connectionLosses += 1
            logger.warning("connection lost after storing a batch", metadata: ["error": "\(error)"])
        }
    }

    private func record(_ result: StoreResult, _ outcome: StoreWorker.Outcome) {
        metrics.batches += 1
        metrics.messages += outcome.messages
        metrics.stored += result.stored
        metrics.duplicates += result.duplicates
        metrics.conflicts += result.conflicts
        metrics.unpaired += result.unpaired
        metrics.quarantined += result.quarantined
        metrics.events += result.events
        metrics.alerts += result.alerts
        for reason in outcome.quarantineReasons { metrics.quarantinedByReason[reason, default: 0] += 1 }
        for kind in outcome.alertKinds { metrics.alertsByKind[kind, default: 0] += 1 }
        metrics.commitSeconds.observe(outcome.storeSeconds)
        metrics.batchSeconds.observe(Double(clock.monotonicMs() - outcome.receivedAtMs) / 1000)
    }
}

extension AlertRecord {
    /// The row an alert is stored as: its JSON line (encrypted) and the columns it is found by.
    init(_ alert: Alert) {
        self.init(at: alert.t, device: alert.device?.rawValue, patient: alert.patient, category: alert.category.rawValue,
                  kind: alert.kind, score: alert.score, body: Array(alert.jsonLine.utf8))
    }
}
