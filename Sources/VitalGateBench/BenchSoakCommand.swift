public import ArgumentParser
import FoundationEssentials
import Telemetry
import VitalGateCommands

/// `vitalgate-bench soak`: a week of one bed on a byte budget, time-compressed, with the upstream
/// down for a day (BENCHMARKS.md "Soak: a week on a 256 MiB budget"); then the ingest drain with
/// retention pruning against without it, side by side; then one retention step timed in process.
public struct BenchSoakCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "A week of one bed on a 256 MiB budget, time-compressed, upstream down a day; drain A/B; prune step timings.")

    @Option(name: .long, help: "Compressed days of one bed (every device family at its real rate; 0 skips the soak).")
    var days = 7.0
    @Option(name: .long, help: ArgumentHelp(
        "Compressed seconds per real second (the agent's clock and the simulator's).",
        discussion: "Pruning a bed's 4 readings a second x speed bounds it: 250 on the 2-core CI machine."))
    var speed = 250.0
    @Option(name: .long, help: "The vault's byte budget, MiB ([storage] max_bytes).") var budgetMib = 256.0
    @Option(name: .long, help: "[retention] keep_days (judged on the compressed clock).") var keepDays = 1
    @Option(name: .long, help: "The compressed day (1-based) the upstream broker is down for (0: never).")
    var outageDay = 3
    @Option(name: .long, help: "[storage] when_full: block or evict-oldest.") var whenFull = "block"
    @Option(name: .long, help: "Readings per sealed batch (a bed's 10-second batches hold about 50).")
    var batchMaxReadings = 50
    @Option(name: .long, help: "Readings pruned at most per retention step (default: 10 x speed, at least 250).")
    var pruneStepLimit: Int?
    @Option(name: .long, help: "Free pages returned per retention step (default: 64 x speed / 50, at least 64).")
    var vacuumStepPages: Int?
    @Option(name: .long, help: "Proofs sampled after the soak, half among pruned readings.") var proofs = 200
    @Option(name: .long, help: "Simulator seed.") var seed: UInt64 = 11
    @Option(name: .long, help: "Pairs of drains, retention off and on (0 skips them).") var drainPairs = 4
    @Option(name: .long, help: "Messages per drain.") var drainMessages = 50_000
    @Option(name: .long, help: "The drains' compressed clock (86,400: with keep_days = 1 a reading is prunable a second after it arrived).")
    var drainClockSpeed = 86_400.0
    @Option(name: .long, help: "Readings in the vault whose prune steps are timed (0 skips them).")
    var pruneReadings = 100_000
    @Option(name: .long, parsing: .upToNextOption, help: "Row limits of the timed prune steps.")
    var pruneLimits: [Int] = [250, 1000, 5000]
    @Option(name: .long, help: "Directory of firmware schemas extending the built-in ones.") var schemas: String?
    @Flag(name: .long, help: "Keep the soak's directory (vault, logs) and print where.") var keep = false
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    public init() {}

    public func validate() throws {
        guard days >= 0, speed >= 1, budgetMib > 0, keepDays >= 1, outageDay >= 0, proofs >= 0, drainPairs >= 0,
              pruneReadings >= 0, batchMaxReadings >= 1 else {
            throw ValidationError("days, outage-day, proofs, drain-pairs, prune-readings >= 0; speed, keep-days, batch >= 1")
        }
        guard ["block", "evict-oldest"].contains(whenFull) else { throw ValidationError("--when-full: block or evict-oldest") }
    }

    public func run() throws {
        #if DEBUG
        note("warning: debug build; use `swift build -c release` and .build/release/vitalgate-bench for real figures")
        #endif
        var members: [(String, JSONValue)] = []
        var lines: [String] = []
        if days > 0 {
            // Retention runs a step a second of real time. At a bed's real rate (4 readings a second)
            // a 250-row step has 60 times the headroom it needs; under compression the step grows
            // to about 2.5 times what arrives in a real second (10 x speed), and the vacuum step
            // with it. Much larger steps hold the ingest thread for seconds (BENCHMARKS.md "Soak").
            let scale = max(speed / 50, 1)
            let settings = SoakRun.Settings(
                days: days, speed: speed, budgetBytes: Int64(budgetMib * 1_048_576), keepDays: keepDays,
                outageDay: outageDay, whenFull: whenFull, seed: seed, schemas: schemas, batchMaxReadings: batchMaxReadings,
                pruneStepLimit: pruneStepLimit ?? max(250, Int(10 * speed)), vacuumStepPages: vacuumStepPages ?? Int(64 * scale),
                proofs: proofs, keepDirectory: keep)
            let outcome = try SoakRun(settings: settings).run(log: note)
            members.append(("soak", outcome.json))
            lines.append(outcome.summary)
            note(outcome.summary)
        }
        if drainPairs > 0 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-soak-drain-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let drain = try SoakDrain.measure(pairs: drainPairs, messages: drainMessages,
                                              clockSpeed: drainClockSpeed, schemas: schemas,
                                              directory: directory, log: note)
            members.append(("drain", drain.json))
            lines.append(drain.summary)
        }
        if pruneReadings > 0 {
            let steps = try PruneStepBench.measure(readings: pruneReadings, limits: pruneLimits, vacuumPages: 64, maxSteps: 200)
            members.append(("prune_steps", .array(steps.map(\.json))))
            lines += steps.map(\.summary)
        }
        print(json ? JSONWriter.canonicalString(.object(members).nonFiniteAsNull) : lines.joined(separator: "\n"))
    }

    private func note(_ text: String) {
        FileStream.standardError.write(text + "\n")
    }
}
