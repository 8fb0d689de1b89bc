public import ArgumentParser
import Consent
import FoundationEssentials
import Sealing
import Telemetry
import Vault
import VitalGateCommands

/// `vitalgate-bench disclosures`: what the disclosure log costs. The agent's store path while a
/// delivery worker, on its own connection, moves its cursor after every stored batch (what
/// delivery does today) and while it moves it with the batch's disclosure in the same
/// transaction, side by side in alternating rounds (fresh vaults each), with the store path
/// alone for reference; the worker's transaction, the listing of a patient's log and the proof
/// of one disclosure.
public struct BenchDisclosuresCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "disclosures",
        abstract: "The store path beside a worker recording disclosures (ratio to its cursor alone), listing, proving.")

    @Option(name: .long, help: "Rounds (each: a vault per variant, in alternating order).") var rounds = 10
    @Option(name: .long, help: "Store batches per vault.") var batches = 200
    @Option(name: .long, help: "Readings per store batch.") var batchSize = 100
    @Flag(name: .long, help: "Print JSON.") var json = false

    public init() {}

    /// What a delivery worker does on its own connection after each stored batch.
    enum Beside: CaseIterable {
        /// Nothing (no other connection writes).
        case nothing
        /// Advances its sink's cursor (what delivery does today).
        case cursor
        /// Advances its cursor and records the disclosure, in one transaction.
        case cursorAndDisclosure
    }

    public func run() throws {
        var store: [Beside: [Double]] = [:]
        var besideMs: [Beside: [Double]] = [:]
        var listMs = 0.0, proveMs = 0.0, listed = 0
        for round in 0..<rounds {
            let order = round % 2 == 0 ? Beside.allCases : Beside.allCases.reversed()
            for beside in order {
                let scratch = try Scratch()
                defer { scratch.remove() }
                let result = try storeRun(scratch, beside: beside)
                store[beside, default: []].append(result.storeMs)
                besideMs[beside, default: []].append(result.besideMs)
                if beside == .cursorAndDisclosure, round == rounds - 1 { (listMs, proveMs, listed) = try readBack(scratch) }
            }
        }
        func ratios(_ a: Beside, _ b: Beside) -> [Double] {
            zip(store[a] ?? [], store[b] ?? []).map { $0 / $1 }.sorted()
        }
        let disclosureRatios = ratios(.cursorAndDisclosure, .cursor)
        let cursorRatios = ratios(.cursor, .nothing)
        let line: [(String, JSONValue)] = [
            ("rounds", .number(Double(rounds))), ("store_batches", .number(Double(batches))),
            ("batch_readings", .number(Double(batchSize))),
            ("store_ms_alone", .number(Self.round(median(store[.nothing] ?? [])))),
            ("store_ms_beside_cursor", .number(Self.round(median(store[.cursor] ?? [])))),
            ("store_ms_beside_cursor_and_disclosure", .number(Self.round(median(store[.cursorAndDisclosure] ?? [])))),
            ("ratio_disclosure_median", .number(Self.round(median(disclosureRatios)))),
            ("ratio_disclosure_min", .number(Self.round(disclosureRatios.first ?? 0))),
            ("ratio_disclosure_max", .number(Self.round(disclosureRatios.last ?? 0))),
            ("ratio_cursor_median", .number(Self.round(median(cursorRatios)))),
            ("cursor_ms", .number(Self.round(median(besideMs[.cursor] ?? [])))),
            ("cursor_and_disclosure_ms", .number(Self.round(median(besideMs[.cursorAndDisclosure] ?? [])))),
            ("list_ms", .number(Self.round(listMs))), ("listed", .number(Double(listed))),
            ("prove_ms", .number(Self.round(proveMs))),
        ]
        if json { return print(JSONWriter.canonicalString(.object(line))) }
        print(String(printf: "store path, ms a batch of %d: %.3f alone, %.3f beside a cursor move a batch, %.3f beside a "
                     + "cursor move with a disclosure a batch", batchSize, median(store[.nothing] ?? []),
                     median(store[.cursor] ?? []), median(store[.cursorAndDisclosure] ?? [])))
        print(String(printf: "  disclosure / cursor only: ratio %.3f (min %.3f, max %.3f); cursor / alone: %.3f (%d rounds)",
                     median(disclosureRatios), disclosureRatios.first ?? 0, disclosureRatios.last ?? 0,
                     median(cursorRatios), rounds))
        print(String(printf: "worker's transaction: cursor %.3f ms, cursor with a disclosure %.3f ms; listing %d: %.2f ms; "
                     + "proving one: %.2f ms", median(besideMs[.cursor] ?? []), median(besideMs[.cursorAndDisclosure] ?? []),
                     listed, listMs, proveMs))
    }

    /// Stores `batches` batches (timed) and, after each, lets a delivery worker on another
    /// connection do `beside` for the batch's ids (timed apart).
    private func storeRun(_ scratch: Scratch, beside: Beside) throws -> (storeMs: Double, besideMs: Double) {
        let vault = try scratch.open()
        try vault.enableSealing(SealingConfiguration(gatewayID: "bench"), now: 0)
        let worker = try scratch.open()
        var store = Duration.zero, aside = Duration.zero
        var seq = 0
        for _ in 0..<batches {
            let messages = (seq..<seq + batchSize).map(BenchFixture.message)
            seq += batchSize
            let t0 = ContinuousClock.now
            _ = try vault.store(messages)
            store += ContinuousClock.now - t0
            guard beside != .nothing else { continue }
            let last = try worker.newestRecordID()
            let disclosures = beside == .cursor ? [] : [Disclosure(
                patient: "MRN-BENCH", recipient: "bench-hospital", channel: .sink("fhir"), purpose: .treatment,
                basis: .defaultPolicy, classes: [.vitals], recordRanges: [(last - Int64(batchSize) + 1)...last],
                count: batchSize, disclosedAt: 1_763_884_800_000 + Int64(seq) * 1000)]
            let t1 = ContinuousClock.now
            try worker.advanceSinkCursor("fhir", to: last, delivered: batchSize, deadLetters: [], at: Int64(seq),
                                         disclosures: disclosures)
            aside += ContinuousClock.now - t1
        }
        try vault.sealAll(now: 1)
        return (Self.milliseconds(store) / Double(batches), Self.milliseconds(aside) / Double(batches))
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
