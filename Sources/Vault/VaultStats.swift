public import Telemetry

/// Vault counts, as `vitalgate stats --json` prints them.
public struct VaultStats: Sendable, Equatable {
    public var readings = 0
    public var readingsByModel: [String: Int] = [:]
    public var quarantined = 0
    public var quarantinedByReason: [String: Int] = [:]
    /// Redelivered copies recognised and stored once.
    public var duplicates = 0
    /// Readings sharing device, kind, seq and device time with different content.
    public var conflicts = 0
    public var unpaired = 0
    public var events = 0
    public var eventsByType: [String: Int] = [:]
    public var alerts = 0
    public var patients = 0
    public var devices = 0
    public var messages = 0
    /// How far anchoring lags behind the log.
    public var anchoring = AnchorLag()
    /// Where each delivery sink stands, with its backlog.
    public var egress: [SinkStatus] = []
    /// Pruned and evicted readings, the pruning's progress, free space (issue 20).
    public var retention = RetentionStatus()

    public init() {}

    public var json: JSONValue {
        func counts(_ map: [String: Int]) -> JSONValue {
            .object(map.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })
        }
        return .object([
            ("readings", .number(Double(readings))),
            ("readings_by_model", counts(readingsByModel)),
            ("quarantined", .number(Double(quarantined))),
            ("quarantined_by_reason", counts(quarantinedByReason)),
            ("duplicates", .number(Double(duplicates))),
            ("conflicts", .number(Double(conflicts))),
            ("unpaired", .number(Double(unpaired))),
            ("events", .number(Double(events))),
            ("events_by_type", counts(eventsByType)),
            ("alerts", .number(Double(alerts))),
            ("patients", .number(Double(patients))),
            ("devices", .number(Double(devices))),
            ("messages", .number(Double(messages))),
            ("egress", .array(egress.map(\.json))),
            ("retention", retention.json),
            ("anchoring", anchoring.json),
        ])
    }
}

extension AnchorLag {
    /// The `anchoring` member of `stats --json`.
    var json: JSONValue {
        let lastFailure: JSONValue = lastFailure.map {
            .object([("reason", .string($0.reason)), ("at", .number(Double($0.at)))])
        } ?? .null
        let pendingJSON: JSONValue = pending.map { pending in
            .object([
                ("size", .number(Double(pending.size))), ("backend", .string(pending.backend)),
                ("attempts", .number(Double(pending.attempts))),
                ("last_error", pending.lastError.map { .string($0) } ?? .null),
            ])
        } ?? .null
        let oldest: JSONValue = oldestUnanchoredAt.map { .number(Double($0)) } ?? .null
        return .object([
            ("latest_checkpoint", .number(Double(latestCheckpoint))),
            ("anchored", .number(Double(anchored))),
            ("unanchored_batches", .number(Double(unanchoredBatches))),
            ("oldest_unanchored_at", oldest),
            ("waiting", waiting.map { .string($0) } ?? .null),
            ("trust", trust.map { .string($0) } ?? .null),
            ("last_failure", lastFailure),
            ("pending", pendingJSON),
        ])
    }
}

extension Vault {
    public func stats() throws(VaultError) -> VaultStats {
        var stats = try read {
            var stats = VaultStats()
            func grouped(_ sql: String) throws -> [String: Int] {
                var map: [String: Int] = [:]
                for row in try db.query(sql) {
                    map[row[0].textValue ?? "", default: 0] += Int(row[1].integerValue ?? 0)
                }
                return map
            }
            stats.readingsByModel = try grouped("SELECT model, count(*) FROM readings WHERE kind != 'event' GROUP BY model")
            stats.readings = stats.readingsByModel.values.reduce(0, +)
            stats.quarantinedByReason = try grouped("SELECT reason, count(*) FROM quarantine GROUP BY reason")
            stats.quarantined = stats.quarantinedByReason.values.reduce(0, +)
            stats.eventsByType = try grouped("SELECT type, count(*) FROM events GROUP BY type")
            stats.events = stats.eventsByType.values.reduce(0, +)
            let counters = try grouped("SELECT name, value FROM counters")
            stats.duplicates = counters["duplicates"] ?? 0
            stats.messages = counters["messages"] ?? 0
            func count(_ sql: String) throws -> Int { Int(try db.query(sql).first?.first?.integerValue ?? 0) }
            stats.conflicts = try count("SELECT count(*) FROM readings WHERE conflict = 1 AND kind != 'event'")
            stats.unpaired = try count("SELECT count(*) FROM readings WHERE patient_ref IS NULL AND kind != 'event'")
            stats.alerts = try count("SELECT count(*) FROM alerts")
            stats.anchoring = try AnchorStore.lag(db)
            stats.patients = try count("SELECT count(*) FROM patients")
            stats.devices = try count("SELECT count(*) FROM devices")
            stats.egress = try sinkStatuses()
            return stats
        }
        stats.retention = try retentionStatus()
        return stats
    }
}
