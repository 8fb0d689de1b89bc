public import ArgumentParser
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate egress status [--json]`: where each delivery sink stands (docs/FHIR.md).
public struct EgressCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "egress", abstract: "Delivery to the configured sinks: cursors, backlogs and dead letters.",
        subcommands: [EgressStatusCommand.self])

    public init() {}
}

/// Per sink: the cursor, the backlog (records and the age of the oldest), the last success,
/// the last error and the dead letters with the receiver's reasons. Runs beside the agent.
public struct EgressStatusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Per sink: cursor, backlog and its oldest record's age, last success, last error, dead letters.")

    @Option(name: .long, help: "Data directory.") var dataDir = "data"
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    public init() {}

    public func run() throws {
        let vault = try DataPaths(dataDir).openVault()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let sinks = try vault.stats().egress
        var reports: [JSONValue] = []
        for sink in sinks {
            let dead = try vault.deadLetters(sink.cursor.sink)
            let skips = try vault.consentSkips(sink.cursor.sink)
            guard case .object(var members) = sink.json else { continue }
            members.append(("oldest_pending_age_ms", sink.oldestPendingAt.map { .number(Double(max(0, now - $0))) } ?? .null))
            members.append(("dead_letter_list", .array(dead.map {
                .object([("record_id", .number(Double($0.recordID))), ("at", .number(Double($0.at))),
                         ("reason", .string($0.reason))])
            })))
            members.append(("consent_skip_list", .array(skips.suffix(1000).map {
                .object([("record_id", .number(Double($0.recordID))), ("at", .number(Double($0.at))),
                         ("reason", .string($0.reason))])
            })))
            reports.append(.object(members))
            if !json { print(Self.text(sink, dead: dead, skips: skips, now: now)) }
        }
        if json {
            print(JSONWriter.canonicalString(.object([("sinks", .array(reports))])))
        } else if sinks.isEmpty {
            print("no sink has delivered yet (configure [egress] ndjson or upstream, or run with --ndjson / --upstream)")
        }
    }

    /// The human-readable lines of one sink.
    static func text(_ sink: SinkStatus, dead: [(recordID: Int64, at: Int64, reason: String)],
                     skips: [(recordID: Int64, at: Int64, reason: String)] = [], now: Int64) -> String {
        let cursor = sink.cursor
        var lines = ["\(cursor.sink): delivered \(cursor.delivered) through record \(cursor.lastID), backlog \(sink.backlog)"
                     + (sink.oldestPendingAt.map { " (oldest \(max(0, now - $0) / 1000) s old)" } ?? "")]
        lines.append("  last success: " + (cursor.lastSuccessAt.map { UTCTimestamp.iso8601(milliseconds: $0) } ?? "never"))
        if let error = cursor.lastError { lines.append("  last error: \(error)") }
        lines.append("  dead letters: \(cursor.deadLetters)")
        for letter in dead.suffix(20) { lines.append("    record \(letter.recordID): \(letter.reason)") }
        lines.append("  consent: held \(cursor.consentHeld) (\(cursor.consentHeldNow) now), released \(cursor.consentReleased), "
                     + "skipped \(cursor.consentSkipped)")
        for skip in skips.suffix(20) { lines.append("    skipped record \(skip.recordID): \(skip.reason)") }
        return lines.joined(separator: "\n")
    }
}
