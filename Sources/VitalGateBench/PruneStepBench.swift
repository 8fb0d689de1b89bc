import Anchoring
import FoundationEssentials
import Ledger
import SQLite
import Telemetry
import Vault
import VitalGateCommands

/// One retention step timed in process: a vault of `readings` sealed vitals readings (one
/// OxiPatch, `synchronous = full` as the agent ships), anchored with the local ledger as the
/// agent's anchoring worker does, then pruned step by step at each row limit, each step
/// followed by the compaction step (the batches it left wholly pruned; the fixture's batches are
/// 500 readings) and the incremental vacuum step the agent runs after it.
enum PruneStepBench {
    struct Result {
        var limit = 0
        var steps = 0
        var rowsPerStep = 0.0
        var medianMs = 0.0
        var p90Ms = 0.0
        var maxMs = 0.0
        var vacuumMedianMs = 0.0
        var pagesPerVacuum = 0.0
        var compactMedianMs = 0.0
        var compactMaxMs = 0.0
        var compactedPerStep = 0.0

        var json: JSONValue {
            func r(_ value: Double) -> JSONValue { .number((value * 100).rounded() / 100) }
            return .object([
                ("limit", .number(Double(limit))), ("steps", .number(Double(steps))), ("rows_per_step", r(rowsPerStep)),
                ("step_median_ms", r(medianMs)), ("step_p90_ms", r(p90Ms)), ("step_max_ms", r(maxMs)),
                ("vacuum_median_ms", r(vacuumMedianMs)), ("pages_per_vacuum", r(pagesPerVacuum)),
                ("compact_median_ms", r(compactMedianMs)), ("compact_max_ms", r(compactMaxMs)),
                ("compacted_per_step", r(compactedPerStep)),
            ])
        }

        var summary: String {
            String(printf: "prune step, limit %d: %d steps of %.0f rows, median %.2f ms (p90 %.2f, max %.2f); "
                   + "then compaction %.2f ms (max %.2f) for %.0f readings; vacuum %.2f ms for %.0f pages", limit, steps,
                   rowsPerStep, medianMs, p90Ms, maxMs, compactMedianMs, compactMaxMs, compactedPerStep, vacuumMedianMs,
                   pagesPerVacuum)
        }
    }

    static func measure(readings: Int, limits: [Int], vacuumPages: Int, maxSteps: Int) throws -> [Result] {
        try limits.map { limit in
            let fixture = try BenchFixture(readings: readings, synchronous: .full)
            let vault = fixture.vault
            try anchor(vault, gatewayID: fixture.gatewayID)
            let policy = RetentionPolicy(keepDays: 1)
            let now: Int64 = 1_763_884_800_000 + Int64(readings) * 1000 + 2 * 86_400_000  // everything is old
            var stepMs: [Double] = [], vacuumMs: [Double] = [], compactMs: [Double] = []
            var rows = 0, pages = 0, compacted = 0
            while stepMs.count < maxSteps {
                let t0 = ContinuousClock.now
                let pruned = try vault.pruneStep(policy, now: now, limit: limit).pruned
                let t1 = ContinuousClock.now
                compacted += try vault.compactStep(now: now, limit: limit, minimumAgeMs: Vault.compactionMinimumAgeMs).readings
                let tc = ContinuousClock.now
                let freed = try vault.reclaimFreePages(vacuumPages)
                let t2 = ContinuousClock.now
                guard pruned > 0 else { break }
                stepMs.append((t1 - t0).seconds * 1000)
                compactMs.append((tc - t1).seconds * 1000)
                vacuumMs.append((t2 - tc).seconds * 1000)
                rows += pruned
                pages += freed
            }
            guard !stepMs.isEmpty else { throw SoakFailure("nothing was pruned in the fixture vault") }
            let sorted = stepMs.sorted()
            return Result(limit: limit, steps: stepMs.count, rowsPerStep: Double(rows) / Double(stepMs.count),
                          medianMs: median(stepMs), p90Ms: sorted[min(sorted.count - 1, sorted.count * 9 / 10)],
                          maxMs: sorted.last ?? 0, vacuumMedianMs: median(vacuumMs),
                          pagesPerVacuum: Double(pages) / Double(stepMs.count), compactMedianMs: median(compactMs),
                          compactMaxMs: compactMs.max() ?? 0, compactedPerStep: Double(compacted) / Double(stepMs.count))
        }
    }

    /// Anchors every checkpoint of `vault` with the local ledger, as the agent's worker does.
    private static func anchor(_ vault: Vault, gatewayID: String) throws {
        let trust = try vault.trustAnchors(gatewayID: gatewayID)
        let worker = AnchorWorker(configuration: .init(gatewayID: gatewayID, vaultPath: vault.path), backend: LocalLedger(),
                                  verifier: LocalEvidenceVerifier(logKey: trust.logKey))
        let store = try AnchorStore(vaultPath: vault.path)
        while worker.round(store) == .progressed {}
    }
}
