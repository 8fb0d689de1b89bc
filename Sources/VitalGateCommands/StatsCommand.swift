public import ArgumentParser
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate stats [--json]`: vault counts.
public struct StatsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print vault counts: readings, quarantine by reason, duplicates, events, anchoring lag, delivery backlog, retention.")

    @Option(name: .long, help: "Data directory.") var dataDir = "data"
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    public init() {}

    public func run() throws {
        let vault = try DataPaths(dataDir).openVault()
        let stats = try vault.stats()
        if json {
            print(JSONWriter.canonicalString(stats.json))
            return
        }
        print("readings      \(stats.readings)")
        for (model, n) in stats.readingsByModel.sorted(by: { $0.key < $1.key }) { print("  \(model): \(n)") }
        print("quarantined   \(stats.quarantined)")
        for (reason, n) in stats.quarantinedByReason.sorted(by: { $0.key < $1.key }) { print("  \(reason): \(n)") }
        print("duplicates    \(stats.duplicates)")
        print("conflicts     \(stats.conflicts)")
        print("unpaired      \(stats.unpaired)")
        print("events        \(stats.events)")
        for (type, n) in stats.eventsByType.sorted(by: { $0.key < $1.key }) { print("  \(type): \(n)") }
        print("alerts        \(stats.alerts)")
        print("patients      \(stats.patients)")
        print("devices       \(stats.devices)")
        let anchoring = stats.anchoring
        print("anchoring     checkpoint \(anchoring.latestCheckpoint), anchored \(anchoring.anchored), "
              + "\(anchoring.unanchoredBatches) batch(es) behind")
        if let failure = anchoring.lastFailure { print("  last failure: \(failure.reason)") }
        if let waiting = anchoring.waiting { print("  waiting: \(waiting)") }
        if let trust = anchoring.trust {
            print("  finality trust: \(trust)" + (trust == "single-node" ? " (one node's word: protects only against accidents)" : ""))
        }
        for sink in stats.egress {
            print("egress        \(sink.cursor.sink): delivered \(sink.cursor.delivered), backlog \(sink.backlog), "
                  + "dead letters \(sink.cursor.deadLetters), consent: held \(sink.cursor.consentHeldNow) now, "
                  + "released \(sink.cursor.consentReleased), skipped \(sink.cursor.consentSkipped)"
                  + (sink.cursor.lastError.map { ", last error: \($0)" } ?? ""))
        }
        if let pending = anchoring.pending {
            print("  pending: checkpoint \(pending.size) via \(pending.backend), \(pending.attempts) attempt(s)"
                  + (pending.lastError.map { ", last error: \($0)" } ?? ""))
        }
        if let registry = try vault.consentRegistryStatus() {
            print(Self.consentRegistryLine(registry, now: UInt64(max(0, Date().timeIntervalSince1970))))
        }
        let retention = stats.retention
        print("retention     pruned \(retention.pruned), evicted \(retention.evicted), compacted \(retention.compacted), "
              + "through id \(retention.scannedThrough); \(retention.freeBytes) bytes free, auto_vacuum \(retention.autoVacuum)")
    }

    /// `consent registry  last verified block N (S s old), last failure: step`.
    static func consentRegistryLine(_ status: ConsentRegistryStatus, now: UInt64) -> String {
        var line = "consent registry  "
        if let block = status.lastVerifiedBlock, let time = status.lastVerifiedBlockTimestamp {
            line += "last verified block \(block) (\(now > time ? now - time : 0) s old)"
        } else {
            line += "no verified read yet"
        }
        return line + (status.lastFailureStep.map { ", last failure: \($0)" } ?? "")
    }
}
