import MQTT
import Telemetry
import Vault

/// Retention and the byte budget (issue 20), a bounded step a second on the ingest thread,
/// between batches like the rest of housekeeping (DECISIONS "Retention"): the store is this
/// thread's then, so pruning takes no write lock from the store stage and never waits for it.
extension IngestService {
    /// Prunes a step (early, ignoring `keep_days`, once the content nears its budget); full (the
    /// content over `StorageBudget.fullAt`) blocks or evicts (`when_full`); compacts what is wholly
    /// pruned; returns a few free pages to the file system. Returns the readings it pruned or
    /// evicted, and records the vault's space for the check before the next batch.
    @discardableResult
    func runRetention(_ transport: any MessageTransport) -> Int {
        let at = clock.wallMs()
        let budget = StorageBudget(cap: runtime.storageMaxBytes)
        let limit = configuration.pruneStepLimit
        var freed = 0
        defer { spaceGauge.record(store.space) }
        do {
            if var policy = runtime.retention {
                if let sinks = configuration.retentionSinks { policy.sinks = sinks() }
                let pruned = try store.pruneStep(policy, now: at, limit: limit, ignoringAge: budget.isNearing(store.space)).pruned
                metrics.readingsPruned += pruned
                freed += pruned
            }
            var full = false
            let current = store.space
            let over = budget.isFull(current)
            if runtime.whenFull == .block && storage.budgetFull && budget.keepsBlocking(current) {
                full = true  // blocked: until there is room for more than a batch or two (no flapping)
            } else if over {
                switch runtime.whenFull {
                case .block:
                    // Blocked only when a step frees nothing. While pruning frees, the check
                    // before each batch runs the next step before the next batch goes in, so
                    // the broker's backlog goes in as fast as pruning frees and no faster
                    // (IngestService+Budget), without dropping the connection.
                    full = freed == 0
                case .evictOldest where freed == 0:
                    let evicted = try store.evictOldest(limit: limit, now: at)
                    metrics.readingsEvicted += evicted.pruned
                    freed += evicted.pruned
                    if let first = evicted.firstID, let last = evicted.lastID {
                        logger.error("the vault is over its budget with nothing to prune: evicted the oldest content",
                                     metadata: ["readings": "\(evicted.pruned)", "first_id": "\(first)", "last_id": "\(last)"])
                        alarmOnce(kind: "storage_evicting", transport, [("first_id", .number(Double(first))),
                                                                         ("last_id", .number(Double(last)))])
                    }
                    // Nothing evictable (only sealed records, or readings not sealed yet): storing
                    // goes on over the budget; `storage_cap_exceeded` has said so.
                case .evictOldest:
                    break  // this step's pruning freed space; evict only when it frees none
                }
            }
            if storage.budgetChecked(full: full) {
                metrics.storageBudgetFull += 1
                logger.error("the vault is full: over its budget; acknowledgements stop until pruning brings it back under",
                             metadata: ["bytes": "\(store.usedBytes)", "cap": "\(budget.cap)"])
                alarmOnce(kind: "storage_full", transport, [])
            }
            if !over { evicting = false }  // the episode is over: the next eviction alarms again
            // Batches wholly pruned (or evicted) give up their rows for one archive row each.
            metrics.readingsCompacted += try store.compactStep(now: at, limit: limit).readings
            _ = try store.reclaimFreePages(configuration.vacuumStepPages)
        } catch {
            logger.warning("retention step failed; retried in a second", metadata: ["error": "\(error)"])
        }
        return freed
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
