import Delivery
import Foundation
import Simulator
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 19: the outbox delivered as FHIR R4 NDJSON, checked by a third-party validator
/// (fhir.resources, FHIR 4.0.1) and the R4 Vital Signs rules.
@Suite struct NDJSONDeliveryTests {
    /// Runs rounds until the worker is idle; returns how many rounds progressed.
    @discardableResult
    static func drain(_ worker: DeliveryWorker, _ vault: Vault, limit: Int = 1000) -> Int {
        var progressed = 0
        for _ in 0..<limit {
            guard worker.round(vault) == .progressed else { break }
            progressed += 1
        }
        return progressed
    }

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test func everyReadingAndAlertIsDeliveredOnceAsValidFHIRR4() throws {
        let fixture = try DeliveryFixture()
        let out = fixture.dir.appending("ndjson").path
        let sink = try NDJSONSink(directory: out, mapping: FHIRMapping(gatewayID: "gw-1", patientIdentifierSystem: "urn:oid:1.2.3"),
                                  maxAgeMs: 0)
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 100),
                                    sink: sink)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        #expect(Self.drain(worker, vault) > 1)
        #expect(worker.round(vault) == .idle)
        let cursor = try vault.sinkCursor("ndjson")
        #expect(cursor.lastID == (try vault.newestRecordID()))
        #expect(cursor.delivered == Int64(fixture.readings + fixture.alerts) && cursor.deadLetters == 0)
        #expect(try Self.files(out).allSatisfy { $0.hasSuffix(".ndjson") }, "no temporary file is left")

        let (passed, report) = try FHIRValidator.validate([out])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
        let counts = try #require(report["resources"] as? [String: Int])
        #expect(counts["DetectedIssue"] == fixture.alerts && (counts["Device"] ?? 0) >= 5)
        // Each resource once: no identifier in two lines (or two files).
        let identifiers = try #require(report["identifiers"] as? [String: Int])
        // (A Device is written with each file that names it: consumers update it in place.)
        let once = identifiers.filter { !$0.key.hasPrefix("urn:vitalgate:gw-1:device|") }
        #expect(once.count >= fixture.readings && once.values.allSatisfy { $0 == 1 })
        let observations = try #require(report["observations"] as? [[String: Any]])
        let codes = Set(observations.flatMap { $0["loinc"] as? [String] ?? [] })
        // Every vital sign the devices measure, under its profile's LOINC code.
        #expect(codes.isSuperset(of: ["8867-4", "8889-8", "2708-6", "59408-5", "9279-1", "8310-5", "85354-9", "8478-0"]))
        // The reading without signal is charted as absent, not as a number.
        #expect(observations.contains { $0["subject"] as? String == "MRN-NOSIG" && $0["absent"] as? Bool == true })
        // A reading whose arrival raised a value check's alert (a spike) is charted as
        // questionable, never as a clean value; no other reading is.
        let questioned = observations.filter { !($0["interpretation"] as? [String] ?? []).isEmpty }
        #expect(!questioned.isEmpty && questioned.allSatisfy {
            $0["interpretation"] as? [String] == ["IND"] && ($0["identifier"] as? String)?.hasPrefix("OXP-00AA01.2.") == true
        })
        #expect(!observations.contains {
            $0["subject"] as? String == "MRN-NOSIG" && $0["value"] is Double && ($0["interpretation"] as? [String] ?? []).isEmpty
        })
        // Each DetectedIssue lists the Observations of the readings it rests on, and each is delivered.
        var evidence: [String: [String]] = [:]  // alert kind → Observation identifier values
        for file in try Self.files(out) where file.hasPrefix("DetectedIssue.") {
            for line in try String(contentsOfFile: "\(out)/\(file)", encoding: .utf8).split(separator: "\n") {
                let issue = try JSONParser().parse(Array(line.utf8))
                let kind = issue.value(at: ["code", "coding"])?.arrayValue?.first?["code"]?.stringValue ?? "-"
                evidence[kind] = (issue["evidence"]?.arrayValue ?? []).flatMap { $0["detail"]?.arrayValue ?? [] }
                    .compactMap { $0.value(at: ["identifier", "value"])?.stringValue }
            }
        }
        let delivered = Set(observations.compactMap { $0["identifier"] as? String })
        #expect(evidence["spike_spo2"]?.isEmpty == false && evidence["spike_spo2"]!.allSatisfy { $0.hasPrefix("OXP-00AA01.2.") })
        #expect(evidence["probe_off"]?.contains { $0.hasPrefix("OXP-00AA01.1.") } == true)
        #expect(evidence.values.joined().allSatisfy(delivered.contains), "\(evidence)")
        // The Device carries the serial number its info message gave.
        let devices = try #require(report["devices"] as? [[String: Any]])
        #expect(devices.contains { $0["identifier"] as? String == "OXP-00AA01" && $0["serial"] as? String == "SN-00AA01" })
    }

    @Test func aDeliveryRepeatedAfterACrashReplacesItsFilesInsteadOfDuplicating() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 30)
        let out = fixture.dir.appending("ndjson").path
        let mapping = FHIRMapping(gatewayID: "gw-1")
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        // The crash: a delivery written, the cursor never moved.
        let (entries, _) = try vault.outbox(after: 0, limit: 40) { _, _ in }
        _ = try NDJSONSink(directory: out, mapping: mapping).deliver(entries)
        let before = try Self.files(out)
        // The restarted worker starts from the same record and writes a superset under the same names.
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 60),
                                    sink: try NDJSONSink(directory: out, mapping: mapping, maxAgeMs: 0))
        Self.drain(worker, vault)
        let after = try Self.files(out)
        #expect(Set(before).isSubset(of: Set(after)))
        let (passed, report) = try FHIRValidator.validate([out])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
        let identifiers = try #require(report["identifiers"] as? [String: Int])
        let observations = identifiers.filter { $0.key.hasPrefix("urn:vitalgate:gw-1:observation|") }
        #expect(!observations.isEmpty && observations.values.allSatisfy { $0 == 1 })
    }

    @Test func aDeliveryThatFailsMidwayLeavesNoFileBehindAndIsRetriedWhole() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 30)
        let out = fixture.dir.appending("ndjson").path
        let sink = try NDJSONSink(directory: out, mapping: FHIRMapping(gatewayID: "gw-1"), maxAgeMs: 0)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let (entries, _) = try vault.outbox(after: 0, limit: 200) { _, _ in }
        // The Device file is opened first; the Observation file cannot be created (a directory
        // holds its temporary name), so the delivery fails after writing part of its files.
        let stem = String(repeating: "0", count: 16 - String(entries[0].id).count) + String(entries[0].id)
        let blocker = "\(out)/.Observation.\(stem).ndjson.tmp"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        #expect(throws: DeliveryError.self) { try sink.deliver(entries) }
        #expect(try Self.files(out) == [".Observation.\(stem).ndjson.tmp"], "only the blocker is left")
        try FileManager.default.removeItem(atPath: blocker)
        _ = try sink.deliver(entries)
        #expect(try Self.files(out).allSatisfy { $0.hasSuffix(".ndjson") && !$0.hasPrefix(".") })
        let (passed, report) = try FHIRValidator.validate([out])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
        let identifiers = try #require(report["identifiers"] as? [String: Int])
        #expect(identifiers.filter { $0.key.hasPrefix("urn:vitalgate:gw-1:observation|") }.count >= 100)
    }

    @Test func aFileWaitsForItsAgeLimitUnlessTheBatchIsFull() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 20)
        let out = fixture.dir.appending("ndjson").path
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let clock = ManualClock(monotonicMs: 0, wallMs: SimulatorConfig.defaultStartTime + 20_000)
        let sink = try NDJSONSink(directory: out, mapping: FHIRMapping(gatewayID: "gw-1"), maxAgeMs: 60_000)
        let patient = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 10_000),
                                     sink: sink, clock: clock)
        #expect(patient.round(vault) == .idle)
        #expect(try Self.files(out).isEmpty)
        clock.advance(ms: 60_000)
        #expect(patient.round(vault) == .progressed)
        #expect(try !Self.files(out).isEmpty)
        // A full batch goes at once, whatever its age.
        let fresh = try DeliveryFixture(patients: 1, seconds: 20)
        let full = DeliveryWorker(configuration: .init(vaultPath: fresh.vaultPath, keys: fresh.keys, batchLimit: 10),
                                  sink: try NDJSONSink(directory: fresh.dir.appending("ndjson").path,
                                                       mapping: FHIRMapping(gatewayID: "gw-1"), maxAgeMs: 60_000),
                                  clock: ManualClock(monotonicMs: 0, wallMs: SimulatorConfig.defaultStartTime))
        #expect(full.round(try Vault(path: fresh.vaultPath, keys: fresh.keys)) == .progressed)
    }
}
