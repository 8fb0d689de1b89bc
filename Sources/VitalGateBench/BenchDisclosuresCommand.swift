public import ArgumentParser
import Consent
import FoundationEssentials
import Sealing
import Telemetry
import Vault
import VitalGateCommands

/// `vitalgate-bench disclosures`: what the disclosure log costs. The agent's store path while a
/// delivery worker records a disclosure beside it after every stored batch, against the same
/// store path alone, side by side in alternating rounds (fresh vaults each); and the recorder's
/// own time per disclosure, the listing of a patient's log and the proof of one disclosure.
public struct BenchDisclosuresCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "disclosures",
        abstract: "The store path with disclosures recorded beside it (ratio to without), recording, listing, proving.")

    @Option(name: .long, help: "Rounds (each: one vault without, one with disclosures, alternating order).") var rounds = 10
    @Option(name: .long, help: "Store batches per vault.") var batches = 200
    @Option(name: .long, help: "Readings per store batch.") var batchSize = 100
    @Flag(name: .long, help: "Print JSON.") var json = false

    public init() {}

    public func run() throws {
        var alone: [Double] = [], beside: [Double] = [], recording: [Double] = []
        var listMs = 0.0, proveMs = 0.0, listed = 0
        for round in 0..<rounds {
            for withDisclosures in round % 2 == 0 ? [false, true] : [true, false] {
                let scratch = try Scratch()
                defer { scratch.remove() }
                let result = try storeRun(scratch, disclosures: withDisclosures)
                if withDisclosures {
                    beside.append(result.storeMs)
                    recording.append(result.recordMs)
                    if round == rounds - 1 { (listMs, proveMs, listed) = try readBack(scratch) }
                } else {
                    alone.append(result.storeMs)
                }
            }
        }
        let ratios = zip(beside, alone).map { $0 / $1 }.sorted()
        let line: [(String, JSONValue)] = [
            ("rounds", .number(Double(rounds))), ("store_batches", .number(Double(batches))),
            ("batch_readings", .number(Double(batchSize))),
            ("store_ms_per_batch_alone", .number(Self.round(median(alone)))),
            ("store_ms_per_batch_beside_disclosures", .number(Self.round(median(beside)))),
            ("ratio_median", .number(Self.round(ratios[ratios.count / 2]))),
            ("ratio_min", .number(Self.round(ratios.first ?? 0))), ("ratio_max", .number(Self.round(ratios.last ?? 0))),
            ("record_ms_per_disclosure", .number(Self.round(median(recording)))),
            ("list_ms", .number(Self.round(listMs))), ("listed", .number(Double(listed))),
            ("prove_ms", .number(Self.round(proveMs))),
        ]
        if json { return print(JSONWriter.canonicalString(.object(line))) }
        print(String(printf: "store path: %.3f ms a batch of %d alone, %.3f beside a disclosure a batch: ratio %.3f "
                     + "(min %.3f, max %.3f, %d rounds)", median(alone), batchSize, median(beside),
                     ratios[ratios.count / 2], ratios.first ?? 0, ratios.last ?? 0, rounds))
        print(String(printf: "recording a disclosure (its own connection): %.3f ms; listing %d: %.2f ms; proving one: %.2f ms",
                     median(recording), listed, listMs, proveMs))
    }

    /// Stores `batches` batches (timed) and, with `disclosures`, records one disclosure of each
    /// batch's ids through a recorder on another connection after it (timed apart).
    private func storeRun(_ scratch: Scratch, disclosures: Bool) throws -> (storeMs: Double, recordMs: Double) {
        let vault = try scratch.open()
        try vault.enableSealing(SealingConfiguration(gatewayID: "bench"), now: 0)
        let recorder = VaultDisclosureRecorder(path: scratch.path, keys: scratch.keys)
        var store = Duration.zero, record = Duration.zero
        var seq = 0
        for _ in 0..<batches {
            let messages = (seq..<seq + batchSize).map(BenchFixture.message)
            seq += batchSize
            let t0 = ContinuousClock.now
            _ = try vault.store(messages)
            store += ContinuousClock.now - t0
            guard disclosures else { continue }
            let last = try vault.newestRecordID()
            let t1 = ContinuousClock.now
            try recorder.record([Disclosure(
                patient: "MRN-BENCH", recipient: "bench-hospital", channel: .sink("fhir"), purpose: .treatment,
                basis: .defaultPolicy, classes: [.vitals], recordRanges: [(last - Int64(batchSize) + 1)...last],
                count: batchSize, disclosedAt: 1_763_884_800_000 + Int64(seq) * 1000)])
            record += ContinuousClock.now - t1
        }
        try vault.sealAll(now: 1)
        return (Self.milliseconds(store) / Double(batches), Self.milliseconds(record) / Double(batches))
    }

    /// Lists the patient's disclosures and proves the last one (it must verify).
    private func readBack(_ scratch: Scratch) throws -> (listMs: Double, proveMs: Double, listed: Int) {
        let vault = try scratch.open()
        let t0 = ContinuousClock.now
        let entries = try vault.disclosures(patient: "MRN-BENCH")
        let t1 = ContinuousClock.now
        guard let last = entries.last, entries.allSatisfy(\.sealed) else { throw ValidationError("disclosures not sealed") }
        let bundle = try vault.proofBundle(readingID: last.recordID, gatewayID: "bench")
        let t2 = ContinuousClock.now
        guard BundleVerifier.verify(bundle, trust: try vault.trustAnchors(gatewayID: "bench")).passed else {
            throw ValidationError("a disclosure's proof did not verify")
        }
        return (Self.milliseconds(t1 - t0), Self.milliseconds(t2 - t1), entries.count)
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    private static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    private static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// A vault file in a new temporary directory, synced as the agent's default (`full`).
    private struct Scratch {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-\(UUID().uuidString)")
        let keys = GatewayKeys.generate()
        var path: String { directory.appendingPathComponent("vault.sqlite").path }

        init() throws { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        func open() throws -> Vault { try Vault(path: path, keys: keys) }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }
}
