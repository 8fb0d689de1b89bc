import MQTT
import Telemetry
import Vault

/// Retention and the byte budget (issue 20), a bounded step a second on the ingest thread,
/// between batches like the rest of housekeeping (DECISIONS "Retention"): the store is this
/// thread's then, so pruning takes no write lock from the store stage and never waits for it.
extension IngestService {
    /// Headroom kept below the budget for the WAL's swings: the checkpointer truncates it past
    /// 8 MiB, and up to as much again is written before a truncation gets its moment (the soak
    /// measured 16.6 MiB at the most).
    static let walAllowanceBytes: UInt64 = 16 << 20

    /// Prunes a step (early, ignoring `keep_days`, once the vault nears its budget: from 10 % below
    /// where it counts as full); full (the budget less `max(5 %, the WAL allowance)`: headroom for
    /// the WAL and for what a second stores and a step writes before the next check) blocks or
    /// evicts (`when_full`); compacts what is wholly pruned; returns a few free pages to the file system.
    func runRetention(_ transport: any MessageTransport) {
        let now = clock.wallMs()
        let cap = runtime.storageMaxBytes
        let headroom = max(cap / 20, Self.walAllowanceBytes)
        let fullAt = cap > headroom ? cap - headroom : 0
        let nearingAt = fullAt > cap / 10 ? fullAt - cap / 10 : 0
        let limit = configuration.pruneStepLimit
        do {
            var pruned = 0
            if var policy = runtime.retention {
                if let sinks = configuration.retentionSinks { policy.sinks = sinks() }
                let nearing = cap > 0 && UInt64(max(store.usedBytes, 0)) >= nearingAt
                pruned = try store.pruneStep(policy, now: now, limit: limit, ignoringAge: nearing).pruned
                metrics.readingsPruned += pruned
            }
            var full = false
            let over = cap > 0 && UInt64(max(store.usedBytes, 0)) > fullAt
            if over {
                switch runtime.whenFull {
                case .block:
                    // Storing waits until pruning brought the vault back under its budget, not
                    // only until a step pruned something: after an outage the broker's backlog
                    // would otherwise go in faster than pruning frees (the soak, BENCHMARKS).
                    full = true
                case .evictOldest where pruned == 0:
                    let evicted = try store.evictOldest(limit: limit, now: now)
                    metrics.readingsEvicted += evicted.pruned
                    if let first = evicted.firstID, let last = evicted.lastID {
                        logger.error("the vault is over its budget with nothing to prune: evicted the oldest content",
                                     metadata: ["readings": "\(evicted.pruned)", "first_id": "\(first)", "last_id": "\(last)"])
                        alarmOnce(kind: "storage_evicting", transport, [("first_id", .number(Double(first))),
                                                                         ("last_id", .number(Double(last)))])
                    }
                    // Nothing evictable (only sealed records, or readings not sealed yet): storing
                    // goes on over the budget; `storage_cap_exceeded` has said so.
                case .evictOldest:
                    break  // this second's pruning freed space; evict only when it frees none
                }
            }
            if storage.budgetChecked(full: full) {
                metrics.storageBudgetFull += 1
                logger.error("the vault is full: over its budget; acknowledgements stop until pruning brings it back under",
                             metadata: ["bytes": "\(store.usedBytes)", "cap": "\(cap)"])
                alarmOnce(kind: "storage_full", transport, [])
            }
            if !over { evicting = false }  // the episode is over: the next eviction alarms again
            // Batches wholly pruned (or evicted) give up their rows for one archive row each.
            metrics.readingsCompacted += try store.compactStep(now: now, limit: limit).readings
            _ = try store.reclaimFreePages(configuration.vacuumStepPages)
        } catch {
            logger.warning("retention step failed; retried in a second", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes a storage alarm on the alerts topic and records it as a gateway event (once per
    /// episode for eviction: `evicting` is reset once the vault is back under its budget).
    private func alarmOnce(kind: String, _ transport: any MessageTransport, _ extra: [(String, JSONValue)]) {
        if kind == "storage_evicting" {
            guard !evicting else { return }
            evicting = true
        }
        let now = clock.wallMs()
        let body = JSONWriter.canonicalBytes(.object([
            ("t", .number(Double(now))), ("gateway", .string(configuration.gatewayID)), ("category", .string("fault")),
            ("kind", .string(kind)), ("score", .number(1)), ("cap", .number(Double(runtime.storageMaxBytes))),
        ] + extra))
        do {
            try store.recordGatewayEvent(type: kind, detail: body, at: now)
            if transport.isConnected {
                try publisher.publishGatewayAlert(body, transport)
                try transport.flush()
            }
        } catch {
            logger.warning("cannot record or publish the storage alarm", metadata: ["error": "\(error)"])
        }
    }
}
