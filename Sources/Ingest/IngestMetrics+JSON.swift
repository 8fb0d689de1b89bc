public import Telemetry

extension IngestMetrics {
    /// The counters as one JSON object (snake_case keys, canonical order). Counts only: no
    /// device, patient or payload appears in it.
    public var json: JSONValue {
        .object([
            ("messages", .number(Double(messages))), ("stored", .number(Double(stored))),
            ("duplicates", .number(Double(duplicates))), ("conflicts", .number(Double(conflicts))),
            ("unpaired", .number(Double(unpaired))), ("quarantined", .number(Double(quarantined))),
            ("quarantined_by_reason", .object(quarantinedByReason.sorted { $0.key < $1.key }
                .map { ($0.key, .number(Double($0.value))) })),
            ("events", .number(Double(events))), ("alerts", .number(Double(alerts))),
            ("batches", .number(Double(batches))), ("connects", .number(Double(connects))),
            ("connect_failures", .number(Double(connectFailures))),
            ("connection_losses", .number(Double(connectionLosses))),
            ("store_failures", .number(Double(storeFailures))), ("sealing_failures", .number(Double(sealingFailures))),
            ("config_applied", .number(Double(configApplied))), ("config_rejected", .number(Double(configRejected))),
            ("config_rolled_back", .number(Double(configRolledBack))),
            ("consent_documents", .object(consentDocuments.sorted { $0.key < $1.key }
                .map { ($0.key, .number(Double($0.value))) })),
            ("storage_cap_exceeded", .number(Double(storageCapExceeded))),
        ])
    }
}
