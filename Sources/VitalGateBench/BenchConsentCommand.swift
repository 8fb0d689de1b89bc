public import ArgumentParser
import Consent
import Delivery
import FoundationEssentials
import SQLite
import Telemetry
import Vault

/// `vitalgate-bench consent` (issue 21): what consent costs where data leaves.
///
/// 1. The check per outgoing item, from the book: the worker's own call (`SinkConsent.check`
///    on a real outbox entry, which asks the book for its class and the identity) over the
///    records of one bed, against a book holding `--patients` patients' records, each with a
///    nested exception; beside it the same loop without the check (the baseline: copying the
///    entry), both timed in turn, `--rounds` times.
/// 2. Delivery with consent on and off side by side: a worker drains the vault into NDJSON files
///    (`fsync` included), with consent checked and disclosures accounted as the agent does (in
///    the vault with the cursor, joined over `--disclosure-window-seconds`; -1: to a recorder
///    that keeps nothing) or not, in ABBA order, each into an empty directory.
public struct BenchConsentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Consent check per outgoing item, and delivery throughput with consent on vs off (ABBA).")

    @Option(name: .long, help: "Hours of the beds' data in the vault.") var hours = 0.5
    @Option(name: .long, help: "Beds (patients) whose data fills the vault.") var beds = 1
    @Option(name: .long, help: "Disclosure window of the consent-on runs (s; 0: a record per delivery; -1: a recorder that keeps nothing).")
    var disclosureWindowSeconds = 3600
    @Option(name: .long, help: "Patients with consent records in the book.") var patients = 10_000
    @Option(name: .long, help: "Timed rounds of the check loop (each over every record of the bed, 20 times).") var rounds = 7
    @Option(name: .long, help: "ABBA pairs of delivery runs (consent on, off, off, on).") var pairs = 3
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    public init() {}

    /// A recorder that keeps nothing (the disclosure log's cost is not this benchmark's).
    struct DiscardingRecorder: DisclosureRecorder {
        func record(_ disclosures: [Disclosure]) throws {}
    }

    public func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-consent-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = GatewayKeys.generate()
        let vaultPath = directory + "/vault.sqlite"
        let records = try BenchDeliveryCommand.fill(vaultPath, keys: keys, hours: hours, schemas: nil, beds: beds)
        let vault = try Vault(path: vaultPath, keys: keys)
        let (entries, _) = try vault.outbox(after: 0, limit: records) { _, _ in }
        let book = try Self.book(patients: patients, including: entries.compactMap(\.patient))
        let consent = disclosureWindowSeconds < 0
            ? SinkConsent(book: book, recipient: "cloud", recorder: DiscardingRecorder())
            : SinkConsent(book: book, recipient: "cloud", disclosureWindowMs: Int64(disclosureWindowSeconds) * 1000)

        // 1. The check per item against the baseline loop, alternated.
        let repeats = 20
        let checks = entries.count * repeats
        var checked: [Double] = [], baseline: [Double] = []
        var sink = 0
        for _ in 0..<rounds {
            for withCheck in [true, false] {
                let start = ContinuousClock.now
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                for _ in 0..<repeats {
                    for entry in entries {
                        if withCheck {
                            if case .permitted(let sent, _) = consent.check(entry, sendsIdentity: true, now: now) { sink &+= Int(sent.id) }
                        } else {
                            let sent = entry
                            sink &+= Int(sent.id)
                        }
                    }
                }
                let ns = (ContinuousClock.now - start).seconds * 1e9 / Double(checks)
                if withCheck { checked.append(ns) } else { baseline.append(ns) }
            }
        }
        guard sink != 0 else { throw ValidationError("nothing was permitted: the book is wrong") }
        let perCheck = BenchDeliveryCommand.median(zip(checked, baseline).map { $0 - $1 })

        // 2. Delivery into NDJSON files, consent on and off, ABBA.
        var on: [Double] = [], off: [Double] = []
        var run = 0
        for withConsent in Array(repeating: [true, false, false, true], count: pairs).flatMap({ $0 }) {
            run += 1
            let out = "\(directory)/ndjson-\(run)"
            let ndjson = try NDJSONSink(name: "ndjson-\(run)", directory: out, mapping: FHIRMapping(gatewayID: "bench"), maxAgeMs: 0)
            let worker = DeliveryWorker(configuration: .init(vaultPath: vaultPath, keys: keys), sink: ndjson,
                                        consent: withConsent ? consent : nil)
            let start = ContinuousClock.now
            while worker.round(vault) == .progressed {}
            let seconds = (ContinuousClock.now - start).seconds
            guard try vault.sinkCursor(ndjson.name).delivered == Int64(records) else {
                throw ValidationError("run \(run) delivered \(try vault.sinkCursor(ndjson.name).delivered) of \(records) records")
            }
            if withConsent { on.append(seconds) } else { off.append(seconds) }
            try? FileManager.default.removeItem(atPath: out)
        }
        let pairwise = zip(on, off).map { $1 / $0 }  // consent-on throughput over consent-off throughput
        let report: [(String, JSONValue)] = [
            ("records", .number(Double(records))), ("beds", .number(Double(beds))),
            ("disclosure_window_seconds", .number(Double(disclosureWindowSeconds))),
            ("disclosure_records_sealed", .number(Double(try Self.sealedDisclosures(vaultPath)))),
            ("patients_in_book", .number(Double(book.patientCount))),
            ("checks_per_round", .number(Double(checks))),
            ("check_ns_per_item_rounds", .array(checked.map { .number(BenchDeliveryCommand.rounded($0, 1)) })),
            ("baseline_ns_per_item_rounds", .array(baseline.map { .number(BenchDeliveryCommand.rounded($0, 1)) })),
            ("consent_check_us_per_item", .number(BenchDeliveryCommand.rounded(perCheck / 1000, 3))),
            ("delivery_seconds_consent_on", .array(on.map { .number(BenchDeliveryCommand.rounded($0, 3)) })),
            ("delivery_seconds_consent_off", .array(off.map { .number(BenchDeliveryCommand.rounded($0, 3)) })),
            ("throughput_ratio_on_vs_off", .number(BenchDeliveryCommand.rounded(
                BenchDeliveryCommand.median(off) / BenchDeliveryCommand.median(on), 3))),
            ("pairwise_ratios", .array(pairwise.map { .number(BenchDeliveryCommand.rounded($0, 3)) })),
        ]
        if json {
            print(JSONWriter.canonicalString(.object(report)))
        } else {
            for (key, value) in report { print("\(key): \(JSONWriter.canonicalString(value))") }
        }
    }

    /// How many disclosure records the runs sealed.
    static func sealedDisclosures(_ path: String) throws -> Int {
        try Connection(path: path).query("SELECT count(*) FROM disclosures").first?.first?.integerValue.map(Int.init) ?? 0
    }

    /// A book under the treatment policy holding a record for each of `patients` patients (and
    /// for each of `including`): permit `cloud` and another recipient for treatment, except
    /// data measured before the epoch's first day and research use (a nested deny each).
    static func book(patients: Int, including: [String]) throws -> ConsentBook {
        let book = ConsentBook(policy: .treatmentOnly(by: ["cloud"]))
        let names = Set(including).union((0..<patients).map { "MRN-BENCH-\($0)" })
        for name in names {
            book.apply(ConsentRecord(
                id: "consent-1", patient: name, version: 1, issuedAt: 0,
                provision: ConsentProvision(type: .permit, actors: ["cloud", "ward"], purposes: [.treatment, .research], provisions: [
                    ConsentProvision(type: .deny, dataPeriod: ConsentPeriod(end: 86_400_000)),
                    ConsentProvision(type: .deny, purposes: [.research]),
                ]),
                source: .document(keyID: "bench")))
        }
        return book
    }
}
