/// The status page at `/`: what a technician at the gateway needs, read-only, one HTML document
/// with inline styles and SVG (no script, nothing fetched from elsewhere), refreshed every 10 s.
/// Beds are shown by their bed label and the patient's pseudonym, never an MRN.
public struct StatusPage: Sendable {
    /// Nothing but this document's own inline styles and inline images.
    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'"

    let snapshot: AgentSnapshot

    public init(_ snapshot: AgentSnapshot) { self.snapshot = snapshot }

    /// The page.
    public var html: String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="10">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>VitalGate \(escape(snapshot.gatewayID))</title>
            <style>\(Self.style)</style></head><body>
            <header><h1>VitalGate <span id="gateway">\(escape(snapshot.gatewayID))</span></h1>
            <p class="muted">version \(escape(snapshot.version)) · updated \(clock(snapshot.takenAt)) UTC · refreshes every 10 s</p></header>

            """
        page += gatewaySection
        page += bedsSection
        page += "</body></html>\n"
        return page
    }

    // MARK: The gateway

    private var gatewaySection: String {
        let ingest = snapshot.ingest
        var rows: [(String, String, String, Bool)] = []  // id, label, value, ok
        rows.append(("broker", "Broker", ingest.connected ? "connected" : "not connected", ingest.connected))
        rows.append(("pipeline", "Pipeline", snapshot.heartbeatAgeSeconds.map { "running (turned \(HealthReport.seconds($0)) ago)" }
                        ?? "not started", (snapshot.heartbeatAgeSeconds ?? .infinity) < 30))
        rows.append(("messages", "Messages stored", "\(ingest.metrics.messages) (quarantined \(ingest.metrics.quarantined))",
                     true))
        let budget = ingest.storageMaxBytes > 0 ? " of \(bytes(Int64(ingest.storageMaxBytes)))" : " (no budget set)"
        let overBudget = ingest.storageMaxBytes > 0 && ingest.vaultBytes > Int64(ingest.storageMaxBytes)
        rows.append(("vault", "Vault", bytes(ingest.vaultBytes) + budget + (ingest.storageFailing ? ", cannot store" : ""),
                     !overBudget && !ingest.storageFailing))
        for sink in snapshot.sinks {
            let backlog = sink.status.map { "\($0.backlog) waiting" } ?? "backlog unknown"
            let last = sink.status?.cursor.lastSuccessAt.map { ", last delivery \(ago($0))" } ?? ""
            let running = sink.worker == nil ? " (not running)" : ""
            let stale = (sink.status?.oldestPendingAt).map { snapshot.age(of: $0) > 3600 } ?? false
            rows.append(("sink-\(sink.name)", "Delivery: \(sink.name)", backlog + last + running, !stale))
        }
        if snapshot.sinks.isEmpty { rows.append(("delivery", "Delivery", "no sink configured", true)) }
        if let lag = snapshot.anchorLag {
            let age = lag.oldestUnanchoredAt.map { ", oldest waiting \(HealthReport.seconds(snapshot.age(of: $0)))" } ?? ""
            rows.append(("anchoring", "Anchoring" + (snapshot.anchoring.map { " (\($0.backend))" } ?? ""),
                         "\(lag.anchored) of \(lag.latestCheckpoint) batches anchored\(age)", lag.unanchoredBatches < 100))
        } else if snapshot.anchoring == nil {
            rows.append(("anchoring", "Anchoring", "off", true))
        }
        rows.append(("checkpoint", "Last checkpoint", ingest.checkpointSize.map { "tree size \($0)" } ?? "none yet", true))
        rows.append(("fleet", "Fleet configuration", ingest.fleetVersion.map { "version \($0)" } ?? "local file only", true))
        var html = "<section><h2>Gateway</h2><table class=\"gateway\">\n"
        for (id, label, value, ok) in rows {
            html += "<tr id=\"\(escape(id))\"><th>\(escape(label))</th><td class=\"\(ok ? "ok" : "bad")\">\(escape(value))</td></tr>\n"
        }
        return html + "</table></section>\n"
    }

    // MARK: Beds

    private var bedsSection: String {
        let beds = snapshot.ingest.beds
        var html = "<section><h2>Beds</h2>\n"
        if beds.isEmpty { return html + "<p class=\"muted\" id=\"no-beds\">No device has sent a reading yet.</p></section>\n" }
        for bed in beds {
            html += "<article class=\"bed\" data-bed=\"\(escape(bed.bed))\"><h3>\(escape(bed.bed))"
            html += bed.pseudonym.map { " <span class=\"muted pseudonym\">patient \(escape($0))</span>" } ?? ""
            html += "</h3>\n"
            if !bed.openAlerts.isEmpty {
                html += "<ul class=\"alerts\">"
                for alert in bed.openAlerts {
                    html += "<li class=\"alert \(escape(alert.category))\">\(escape(alert.category)): \(escape(alert.kind)), \(ago(alert.at))</li>"
                }
                html += "</ul>\n"
            }
            html += "<table class=\"devices\"><tr><th>Device</th><th>Model</th><th>Last reading</th><th>Battery</th><th>Signal</th></tr>\n"
            for device in bed.devices {
                let battery = device.battery.map { "\(Int($0.rounded())) %" } ?? "–"
                let signal = device.signalQuality.map { "\(Int(($0 * 100).rounded())) %" } ?? "–"
                let stale = snapshot.age(of: device.lastReadingAt) > 120
                html += "<tr class=\"device\"><td>\(escape(device.device))</td><td>\(escape(device.model))</td>"
                html += "<td class=\"\(stale ? "bad" : "ok")\">\(ago(device.lastReadingAt))</td><td>\(battery)</td><td>\(signal)</td></tr>\n"
            }
            html += "</table>\n"
            html += BedChart(bed.history, now: snapshot.takenAt).svg
            html += "</article>\n"
        }
        return html + "</section>\n"
    }

    // MARK: Formatting

    private func ago(_ at: Int64) -> String { "\(HealthReport.seconds(snapshot.age(of: at))) ago" }

    private func bytes(_ value: Int64) -> String {
        let mib = Double(value) / 1_048_576
        return mib >= 10 ? "\(Int(mib.rounded())) MiB" : "\((mib * 10).rounded() / 10) MiB"
    }

    /// `HH:MM:SS` of a time in ms since the epoch (UTC).
    private func clock(_ at: Int64) -> String {
        let seconds = (at / 1000) % 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}h1{margin:0}h2{margin-top:1.2em}
        .muted{color:#666;font-size:90%}table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left}
        .gateway th{font-weight:600}.ok{color:#176117}.bad{color:#a01010;font-weight:600}
        .bed{border:1px solid #ccc;border-radius:6px;padding:6px 12px;margin:8px 0;display:inline-block;vertical-align:top}
        .bed h3{margin:4px 0}.alerts{margin:4px 0;padding-left:1.2em}.alert{color:#a01010}
        .devices th{font-size:85%;color:#555}svg{display:block;margin-top:4px}
        """
}

/// Escapes text for HTML element content and quoted attributes.
func escape(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
