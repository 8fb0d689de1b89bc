import ArgumentParser
import FoundationEssentials
import Telemetry
import Vault
import VitalGateCommands

/// The ingest drain with retention off and with retention pruning, side by side (the method of
/// `bench ingest`: the same queued stream drained by `vitalgate run --stop-after-messages`,
/// timed from the vault's arrival stamps), in alternating order, as a ratio.
enum SoakDrain {
    struct Result {
        var off: [BenchIngestCommand.Drain] = []
        var on: [BenchIngestCommand.Drain] = []
        /// Readings pruned during each run with retention on, and its storage_full alarms.
        var prunedDuringOn: [Int] = []
        var fullAlarmsDuringOn: [Int] = []

        /// Pairwise ratios, retention on / off, of the draining rate.
        var ratios: [Double] { zip(on, off).map { $0.drainRate / $1.drainRate } }
        var medianRatio: Double { median(ratios) }
        var medianCPURatio: Double { median(zip(on, off).map { $0.consumerCPUus / $1.consumerCPUus }) }

        var json: JSONValue {
            func rates(_ drains: [BenchIngestCommand.Drain]) -> JSONValue { .array(drains.map { .number($0.drainRate.rounded()) }) }
            return .object([
                ("drain_off_msgs_per_s", rates(off)), ("drain_on_msgs_per_s", rates(on)),
                ("drain_pairwise_ratios", .array(ratios.map { .number(($0 * 1000).rounded() / 1000) })),
                ("drain_median_ratio", .number((medianRatio * 1000).rounded() / 1000)),
                ("drain_median_cpu_ratio", .number((medianCPURatio * 1000).rounded() / 1000)),
                ("drain_pruned_during_on", .array(prunedDuringOn.map { .number(Double($0)) })),
                ("drain_full_alarms_during_on", .array(fullAlarmsDuringOn.map { .number(Double($0)) })),
            ])
        }

        var summary: String {
            String(printf: "drain with retention pruning / without: median %.3f (pairwise ", medianRatio)
                + ratios.map { String(printf: "%.2f", $0) }.joined(separator: ", ")
                + String(printf: "), agent CPU per message %.3f; ", medianCPURatio)
                + "pruned during the runs with retention: \(prunedDuringOn.map(String.init).joined(separator: ", "))"
                + ", storage_full alarms: \(fullAlarmsDuringOn.reduce(0, +))"
        }
    }

    /// `pairs` pairs (off, on / on, off alternately) of drains of `messages` messages. Both run
    /// the agent's wall clock at `clockSpeed` (a day in a second at 86,400), so that with
    /// retention on (`keep_days = 1`) every reading is old enough to prune about a second after
    /// it arrived and anchored: the shipped retention step (250 rows, once a second) prunes
    /// through the whole drain. Retention off is the baseline.
    static func measure(pairs: Int, messages: Int, clockSpeed: Double, schemas: String?, directory: String,
                        log: (String) -> Void) throws -> Result {
        let off = directory + "/retention-off.conf", on = directory + "/retention-on.conf"
        // Anchoring every half second in both: a drain of a few seconds then prunes through most
        // of it (at the default 2 s, 200,000-message drains ended before the first anchor).
        let ledger = "[ledger]\npoll_seconds = 0.5\n"
        try (ledger + "[retention]\nenabled = false\n").write(toFile: off, atomically: true, encoding: .utf8)
        try (ledger + "[retention]\nenabled = true\nkeep_days = 1\n").write(toFile: on, atomically: true, encoding: .utf8)
        func bench(_ config: String) throws -> BenchIngestCommand {
            try BenchIngestCommand.parse(["--agent-config", config, "--rounds", "0", "--steady-seconds", "0"]
                                         + (schemas.map { ["--schemas", $0] } ?? []))
        }
        let (withoutRetention, withRetention) = (try bench(off), try bench(on))
        let clock = ["--clock-speed", String(clockSpeed)]
        let stream = BenchIngestCommand.stream(count: messages, patients: 50, seed: 1)
        var result = Result()
        for pair in 0..<pairs {
            for retention in pair % 2 == 0 ? [false, true] : [true, false] {
                if retention {
                    var (pruned, alarms) = (0, 0)
                    let drain = try withRetention.measureAgent(stream, sealing: true, extraArguments: clock,
                                                               clockSpeed: clockSpeed) { data in
                        let keys = try FileKeyStore.load(path: DataPaths(data).keyFile)
                        let vault = try Vault(path: DataPaths(data).vault, keys: keys)
                        pruned = Int(try vault.retentionStatus().pruned)
                        alarms = try vault.stats().eventsByType["storage_full"] ?? 0
                    }
                    result.on.append(drain)
                    result.prunedDuringOn.append(pruned)
                    result.fullAlarmsDuringOn.append(alarms)
                } else {
                    result.off.append(try withoutRetention.measureAgent(stream, sealing: true, extraArguments: clock,
                                                                         clockSpeed: clockSpeed))
                }
            }
            log(String(printf: "drain pair %d: without retention %.0f msg/s, with %.0f msg/s (ratio %.3f), pruned %d",
                       pair + 1, result.off.last!.drainRate, result.on.last!.drainRate,
                       result.on.last!.drainRate / result.off.last!.drainRate, result.prunedDuringOn.last ?? 0))
        }
        return result
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
