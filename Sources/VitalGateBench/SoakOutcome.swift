import FoundationEssentials
import Telemetry

/// What a soak run measured, and its report (JSON and text).
struct SoakOutcome {
    let settings: SoakRun.Settings
    var loadBefore = 0.0
    var loadAfter = 0.0
    var realSeconds = 0.0
    var publishSeconds = 0.0
    var compressedDaysReached = 0.0
    /// Messages the simulator published (the broker acknowledged each).
    var published = 0
    /// Messages the agent processed (stored, duplicates and quarantined).
    var processed = 0
    /// Messages still queued for the agent's session when it stopped (not acknowledged: under
    /// `block`, what the vault had no room for).
    var heldByBroker = 0
    var quarantined = 0
    var duplicatesStored = 0
    /// Records in the vault's outbox (readings and alerts).
    var records = 0
    /// What the upstream sink's cursor says it delivered.
    var sinkDelivered = 0
    var receivedUnique = 0
    var receivedDuplicates = 0
    var receivedUnreadable = 0
    /// Outbox records the upstream consumer never got, and how many of them had their content
    /// removed (evicted) before delivery.
    var missingAtReceiver = 0
    var missingWithContentRemoved = 0
    /// Records the consumer got that the vault does not hold.
    var unknownAtReceiver = 0
    var pruned = 0
    var evicted = 0
    /// Of the pruned and evicted, readings whose rows were compacted into their batch's archive.
    var compacted = 0
    var storageFullEvents = 0
    var evictionEvents = 0
    /// The most messages published and not yet processed (held by the broker, or in flight).
    var maxBacklog = 0
    var samples: [SoakMonitor.DaySample] = []
    var outage: (down: Double?, up: Double?) = (nil, nil)
    var finalFileBytes: Int64 = 0
    var agentCleanExit = false
    var agentPeakRSSKiB = 0
    var proofs = SoakProofs.Result()

    var maxFileBytes: Int64 { samples.map(\.maxFileBytes).max() ?? 0 }
    var maxUsedBytes: Int64 { samples.map(\.maxUsedBytes).max() ?? 0 }
    var withinBudget: Bool { maxFileBytes <= settings.budgetBytes }
    /// Every published message processed or still held by the broker (a copy the broker sent
    /// again after a dropped connection counts as a duplicate), none quarantined, every stored
    /// record delivered.
    var nothingLost: Bool {
        processed + heldByBroker >= published && quarantined == 0 && missingAtReceiver == 0 && unknownAtReceiver == 0
    }

    private func mib(_ bytes: Int64) -> Double { (Double(bytes) / 1_048_576 * 100).rounded() / 100 }
    private func round(_ value: Double, _ scale: Double = 10) -> JSONValue { .number((value * scale).rounded() / scale) }

    var json: JSONValue {
        .object([
            ("days", .number(settings.days)), ("speed", .number(settings.speed)),
            ("budget_mib", .number(mib(settings.budgetBytes))), ("when_full", .string(settings.whenFull)),
            ("keep_days", .number(Double(settings.keepDays))), ("outage_day", .number(Double(settings.outageDay))),
            ("batch_max_readings", .number(Double(settings.batchMaxReadings))),
            ("prune_step_limit", .number(Double(settings.pruneStepLimit))),
            ("vacuum_step_pages", .number(Double(settings.vacuumStepPages))),
            ("real_seconds", round(realSeconds)), ("publish_seconds", round(publishSeconds)),
            ("compressed_days_reached", round(compressedDaysReached, 100)),
            ("load_before", round(loadBefore, 100)), ("load_after", round(loadAfter, 100)),
            ("published", .number(Double(published))), ("processed", .number(Double(processed))),
            ("held_by_broker", .number(Double(heldByBroker))),
            ("quarantined", .number(Double(quarantined))), ("duplicates_stored", .number(Double(duplicatesStored))),
            ("outbox_records", .number(Double(records))), ("sink_delivered", .number(Double(sinkDelivered))),
            ("received_unique", .number(Double(receivedUnique))),
            ("received_duplicates", .number(Double(receivedDuplicates))),
            ("received_unreadable", .number(Double(receivedUnreadable))),
            ("missing_at_receiver", .number(Double(missingAtReceiver))),
            ("missing_with_content_removed", .number(Double(missingWithContentRemoved))),
            ("unknown_at_receiver", .number(Double(unknownAtReceiver))),
            ("pruned", .number(Double(pruned))), ("evicted", .number(Double(evicted))),
            ("compacted", .number(Double(compacted))),
            ("storage_full_events", .number(Double(storageFullEvents))),
            ("eviction_events", .number(Double(evictionEvents))),
            ("max_backlog_messages", .number(Double(maxBacklog))),
            ("max_file_mib", .number(mib(maxFileBytes))), ("max_used_mib", .number(mib(maxUsedBytes))),
            ("final_file_mib", .number(mib(finalFileBytes))),
            ("per_day_max_file_mib", .array(samples.map { .number(mib($0.maxFileBytes)) })),
            ("per_day_max_used_mib", .array(samples.map { .number(mib($0.maxUsedBytes)) })),
            ("per_day_max_wal_mib", .array(samples.map { .number(mib($0.maxWALBytes)) })),
            ("per_day_max_backlog", .array(samples.map { .number(Double($0.maxBacklog)) })),
            ("upstream_down_at_s", outage.down.map { round($0) } ?? .null),
            ("upstream_up_at_s", outage.up.map { round($0) } ?? .null),
            ("within_budget", .bool(withinBudget)), ("nothing_lost", .bool(nothingLost)),
            ("agent_clean_exit", .bool(agentCleanExit)), ("agent_peak_rss_mib", round(Double(agentPeakRSSKiB) / 1024)),
            ("proofs_pruned", .number(Double(proofs.pruned))), ("proofs_compacted", .number(Double(proofs.compacted))), ("proofs_unpruned", .number(Double(proofs.unpruned))),
            ("proofs_verified", .number(Double(proofs.verified))), ("proofs_failed", .number(Double(proofs.failed))),
            ("proofs_not_provable", .number(Double(proofs.notProvable))),
        ])
    }

    var summary: String {
        var lines = [
            "soak (\(settings.whenFull)): " + String(printf: "%.2f compressed days in %.0f s (load %.1f -> %.1f)",
                   compressedDaysReached, realSeconds, loadBefore, loadAfter),
            String(printf: "  vault: max %.1f MiB on disk (main + WAL), %.1f MiB in use, budget %.1f MiB: ",
                   Double(maxFileBytes) / 1_048_576, Double(maxUsedBytes) / 1_048_576, Double(settings.budgetBytes) / 1_048_576)
                + (withinBudget ? "within" : "OVER") + String(printf: "; at the end %.1f MiB", Double(finalFileBytes) / 1_048_576),
            "  per day, max on disk (MiB): " + samples.map { String(printf: "%.1f", Double($0.maxFileBytes) / 1_048_576) }
                .joined(separator: ", "),
            "  per day, max backlog held by the broker (messages): " + samples.map { "\($0.maxBacklog)" }.joined(separator: ", "),
            "  published \(published), processed \(processed), held by the broker at the end \(heldByBroker), "
                + "quarantined \(quarantined); outbox \(records) records, "
                + "sink delivered \(sinkDelivered), received \(receivedUnique) (+\(receivedDuplicates) duplicates), "
                + "missing \(missingAtReceiver) (\(missingWithContentRemoved) with content removed), unknown \(unknownAtReceiver)",
            "  pruned \(pruned), evicted \(evicted), compacted \(compacted) (\(evictionEvents) eviction events), storage_full alarms \(storageFullEvents), "
                + "max backlog \(maxBacklog) messages; nothing lost: \(nothingLost ? "yes" : "NO")",
            "  proofs: \(proofs.verified) of \(proofs.pruned + proofs.unpruned) verified (\(proofs.pruned) pruned, "
                + "\(proofs.compacted) of them compacted, "
                + "\(proofs.unpruned) not), \(proofs.failed) failed, \(proofs.notProvable) not yet provable",
        ]
        lines += proofs.failures.map { "  proof failure: \($0)" }
        return lines.joined(separator: "\n")
    }
}
