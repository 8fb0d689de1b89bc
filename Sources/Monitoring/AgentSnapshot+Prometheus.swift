/// `/metrics`: the snapshot in the Prometheus text format. Labels carry only reasons, kinds,
/// sink names and codes, never a patient or device identifier.
extension AgentSnapshot {
    /// The whole exposition.
    public var prometheusText: String {
        var out = PrometheusExposition()
        writeAgent(&out)
        writeIngest(&out)
        writeStorage(&out)
        writeDelivery(&out)
        writeAnchoring(&out)
        writeConsentRegistry(&out)
        return out.text
    }

    private func writeAgent(_ out: inout PrometheusExposition) {
        out.labelled("vitalgate_build_info", .gauge, "The agent's version and commit (always 1).",
                     [([("version", version), ("commit", commit)], 1)])
        out.single("vitalgate_start_time_seconds", .gauge, "When the pipeline started, seconds since the epoch.",
                   Double(ingest.startedAt) / 1000)
        out.labelled("vitalgate_pipeline_heartbeat_age_seconds", .gauge,
                     "Seconds since the ingest loop last turned (it turns at least every 100 ms while it runs).",
                     heartbeatAgeSeconds.map { [([], $0)] } ?? [])
        out.single("vitalgate_http_unauthorized_requests_total", .counter,
                   "Requests to the HTTP endpoints refused for want of valid credentials.", Double(unauthorizedRequests))
    }

    private func writeIngest(_ out: inout PrometheusExposition) {
        let m = ingest.metrics
        out.single("vitalgate_broker_connected", .gauge, "1 while the connection to the local broker is up.",
                   ingest.connected ? 1 : 0)
        out.single("vitalgate_broker_connects_total", .counter, "Connections made to the local broker.", Double(m.connects))
        out.single("vitalgate_broker_connect_failures_total", .counter, "Connection attempts that failed.", Double(m.connectFailures))
        out.single("vitalgate_broker_connection_losses_total", .counter, "Connections lost while running.", Double(m.connectionLosses))
        out.single("vitalgate_messages_total", .counter, "Device messages received and committed to the vault.", Double(m.messages))
        out.single("vitalgate_readings_stored_total", .counter, "Readings stored (each once).", Double(m.stored))
        out.labelled("vitalgate_messages_quarantined_total", .counter, "Messages quarantined, by reason.",
                     m.quarantinedByReason.sorted { $0.key < $1.key }.map { ([("reason", $0.key)], Double($0.value)) })
        out.single("vitalgate_duplicates_total", .counter, "Redelivered copies recognised and stored once.", Double(m.duplicates))
        out.single("vitalgate_conflicts_total", .counter,
                   "Readings that share device, kind, sequence and time with a stored one but differ in content.",
                   Double(m.conflicts))
        out.single("vitalgate_unpaired_readings_total", .counter, "Readings from devices paired to no patient.", Double(m.unpaired))
        out.single("vitalgate_device_events_total", .counter, "Device events stored (info, pairing).", Double(m.events))
        out.single("vitalgate_batches_total", .counter, "Batches committed.", Double(m.batches))
        out.single("vitalgate_store_failures_total", .counter,
                   "Batches the vault could not store (not acknowledged: the broker redelivers them).", Double(m.storeFailures))
        out.single("vitalgate_sealing_failures_total", .counter, "Sealing attempts that failed (retried).", Double(m.sealingFailures))
        out.labelled("vitalgate_alerts_total", .counter, "Alerts raised and stored, by category and kind.",
                     m.alertsByKind.sorted { $0.key < $1.key }.map {
                         ([("category", $0.key.category), ("kind", $0.key.kind)], Double($0.value))
                     })
        out.histogram("vitalgate_batch_duration_seconds",
                      "Time from a batch's receipt to its commit and sync, after which it may be acknowledged.", m.batchSeconds)
        out.histogram("vitalgate_batch_commit_duration_seconds", "Time of one batch's store transaction (without the sync).",
                      m.commitSeconds)
        out.single("vitalgate_acknowledgement_lag_seconds", .gauge,
                   "Age of the oldest message received and not yet acknowledged (0: none waiting).", ingest.acknowledgementLagSeconds)
        out.labelled("vitalgate_fleet_documents_total", .counter, "Fleet configuration documents, by outcome.", [
            ([("outcome", "applied")], Double(m.configApplied)), ([("outcome", "rejected")], Double(m.configRejected)),
            ([("outcome", "rolled_back")], Double(m.configRolledBack)),
        ])
        out.labelled("vitalgate_consent_documents_total", .counter,
                     "Signed consent documents judged, by outcome (applied, duplicate, or the rejection code).",
                     m.consentDocuments.sorted { $0.key < $1.key }.map { ([("outcome", $0.key)], Double($0.value)) })
        out.single("vitalgate_fleet_config_version", .gauge, "The newest applied fleet document version (0: none).",
                   Double(ingest.fleetVersion ?? 0))
        out.single("vitalgate_detector_state_bytes", .gauge, "Size of the detectors' state at its last save.",
                   Double(ingest.detectorStateBytes))
    }

    private func writeStorage(_ out: inout PrometheusExposition) {
        out.single("vitalgate_vault_size_bytes", .gauge, "The vault's files on disk (database and write-ahead log).",
                   Double(ingest.vaultBytes))
        out.single("vitalgate_vault_budget_bytes", .gauge, "The configured storage budget ([storage] max_bytes; 0: none).",
                   Double(ingest.storageMaxBytes))
        out.single("vitalgate_storage_cap_exceeded_total", .counter, "Times the vault grew past the storage budget.",
                   Double(ingest.metrics.storageCapExceeded))
        out.single("vitalgate_storage_failing", .gauge, "1 while the vault cannot store (nothing is acknowledged meanwhile).",
                   ingest.storageFailing ? 1 : 0)
        out.single("vitalgate_storage_blocked", .gauge,
                   "1 while the vault is over its budget with nothing to prune (when_full = block: nothing is acknowledged).",
                   ingest.storageBlocked ? 1 : 0)
        out.single("vitalgate_storage_full_total", .counter,
                   "Times the vault became full: over its budget with nothing to prune, under when_full = block.",
                   Double(ingest.metrics.storageBudgetFull))
        out.single("vitalgate_storage_paced_total", .counter,
                   "Times a batch was held back at the budget before it was received (a retention step run at once, or the WAL's checkpoint).",
                   Double(ingest.metrics.storagePaced))
        out.single("vitalgate_readings_pruned_total", .counter,
                   "Readings whose content was pruned (delivered, anchored and older than keep_days, or early near the budget).",
                   Double(ingest.metrics.readingsPruned))
        out.single("vitalgate_readings_compacted_total", .counter,
                   "Pruned or evicted readings whose rows were compacted into their batch's archive (leaves only).",
                   Double(ingest.metrics.readingsCompacted))
        out.single("vitalgate_readings_evicted_total", .counter,
                   "Readings whose content was evicted at the budget (when_full = evict-oldest), delivered or not.",
                   Double(ingest.metrics.readingsEvicted))
        out.single("vitalgate_checkpoint_tree_size", .gauge, "The latest signed checkpoint's tree size (sealed batches).",
                   Double(ingest.checkpointSize ?? 0))
    }

    private func writeDelivery(_ out: inout PrometheusExposition) {
        func per(_ value: (Sink) -> Double?) -> [([(String, String)], Double)] {
            sinks.compactMap { sink in value(sink).map { ([("sink", sink.name)], $0) } }
        }
        out.labelled("vitalgate_delivery_backlog_records", .gauge, "Records waiting for each sink.",
                     per { $0.status.map { Double($0.backlog) } })
        out.labelled("vitalgate_delivery_backlog_age_seconds", .gauge, "Age of the oldest record waiting for each sink (0: none).",
                     per { sink in sink.status.map { status in status.oldestPendingAt.map { age(of: $0) } ?? 0 } })
        out.labelled("vitalgate_delivery_last_success_timestamp_seconds", .gauge,
                     "When each sink last confirmed a delivery, seconds since the epoch.",
                     per { $0.status?.cursor.lastSuccessAt.map { Double($0) / 1000 } })
        out.labelled("vitalgate_delivered_records_total", .counter, "Records each sink confirmed, since the agent started.",
                     per { $0.worker.map { Double($0.delivered) } })
        out.labelled("vitalgate_delivery_dead_letters_total", .counter, "Records each sink refused for good.",
                     per { $0.worker.map { Double($0.deadLetters) } })
        out.labelled("vitalgate_delivery_attempts_total", .counter, "Deliveries attempted per sink.",
                     per { $0.worker.map { Double($0.attempts) } })
        out.labelled("vitalgate_delivery_failures_total", .counter, "Failed deliveries per sink and error code (retried).",
                     sinks.flatMap { sink in
                         (sink.worker?.failures ?? [:]).sorted { $0.key < $1.key }.map {
                             ([("sink", sink.name), ("code", $0.key)], Double($0.value))
                         }
                     })
        out.labelled("vitalgate_delivery_consent_total", .counter,
                     "Records per sink by consent outcome (permitted, identity_withheld, break_glass, held, released, skipped).",
                     sinks.flatMap { sink in
                         (sink.worker?.consent ?? [:]).sorted { $0.key < $1.key }.map {
                             ([("sink", sink.name), ("outcome", $0.key)], Double($0.value))
                         }
                     })
        out.labelled("vitalgate_delivery_consent_held_records", .gauge, "Records each sink holds for consent now.",
                     per { $0.status.map { Double($0.cursor.consentHeldNow) } })
    }

    private func writeAnchoring(_ out: inout PrometheusExposition) {
        out.single("vitalgate_anchored_tree_size", .gauge, "The largest anchored checkpoint's tree size (0: none).",
                   Double(anchorLag?.anchored ?? 0))
        out.single("vitalgate_anchor_lag_batches", .gauge, "Sealed batches not yet covered by an anchor.",
                   Double(anchorLag?.unanchoredBatches ?? 0))
        out.single("vitalgate_anchor_lag_seconds", .gauge, "Age of the oldest checkpoint not yet anchored (0: none).",
                   anchorLag?.oldestUnanchoredAt.map { age(of: $0) } ?? 0)
        let w = anchoring?.worker
        out.labelled("vitalgate_anchor_submissions_total", .counter, "Checkpoints submitted to the ledger.",
                     anchoring.map { [([("backend", $0.backend)], Double($0.worker.submissions))] } ?? [])
        out.single("vitalgate_anchors_total", .counter, "Checkpoints anchored and verified.", Double(w?.anchored ?? 0))
        out.single("vitalgate_anchor_failures_total", .counter, "Anchoring rounds that failed (retried).", Double(w?.failures ?? 0))
        out.single("vitalgate_anchor_untrustworthy_total", .counter,
                   "Rounds refused because the ledger node served data that does not verify.", Double(w?.untrustworthy ?? 0))
        out.single("vitalgate_anchor_resubmissions_total", .counter,
                   "Anchors posted again (dropped, nonce used, reorged out), with backoff.", Double(w?.resubmissions ?? 0))
        out.labelled("vitalgate_anchor_last_failure", .gauge,
                     "1 for the reason the last anchoring round failed or posted again, until one anchors (none: no failure).",
                     w?.lastFailure.map { [([("reason", $0.rawValue)], 1)] } ?? [])
        out.labelled("vitalgate_anchor_trust", .gauge,
                     "1 for how anchors are shown final: local, qbft, witnesses, pinned, witnesses+pinned or single-node.",
                     anchoring.map { [([("backend", $0.backend), ("trust", $0.trust)], 1)] } ?? [])
    }
}
