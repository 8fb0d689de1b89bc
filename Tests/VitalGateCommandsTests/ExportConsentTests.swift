import ArgumentParser
import Consent
import Detection
import Foundation
import Schemas
import Telemetry
import Testing
import Vault
@testable import VitalGateCommands
import VitalGateTesting

/// Issue 21: `vitalgate export` is checked against consent for its `--recipient` and `--purpose`
/// and recorded as disclosures, as a sink's deliveries are.
@Suite struct ExportConsentTests {
    static let patients = [("MRN-EXPORT-A", "OXP-00EA01"), ("MRN-EXPORT-B", "OXP-00EA02")]

    /// A data directory with 3 readings and an alert of each patient.
    static func dataDirectory() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let paths = DataPaths(dir.path)
        try paths.ensureExists()
        let vault = try Vault(path: paths.vault, keys: try FileKeyStore.initialize(path: paths.keyFile))
        var decoder = MessageDecoder(catalog: try SchemaCatalog.builtIn())
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        var batch: [IncomingMessage] = []
        var alerts: [AlertRecord] = []
        func add(_ topic: String, _ payload: String, _ t: Int64) {
            batch.append(IncomingMessage(topic: topic, payload: Array(payload.utf8), receivedAt: t,
                                         outcome: decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: t)))
        }
        for (mrn, device) in patients {
            add("wban/v1/\(device)/info", #"{"model":"OxiPatch","fw":"1.4.2","serial":"SN-1"}"#, at)
            add("wban/v1/\(device)/pair", #"{"patient":"\#(mrn)","bed":"B"}"#, at)
            for seq in 1...3 {
                add("wban/v1/\(device)/vitals", #"{"seq":\#(seq),"ts":\#(at + Int64(seq)),"spo2":97,"pr":71,"pi":2.0,"batt":80}"#,
                    at + Int64(seq))
            }
            let alert = Alert(t: at, patient: mrn, device: DeviceID(device), category: .clinical, kind: "desaturation", score: 0.96,
                              evidenceStart: at - 1000, evidenceEnd: at)
            alerts.append(AlertRecord(at: at, device: device, patient: mrn, category: "clinical", kind: alert.kind, score: alert.score,
                                      body: Array(alert.jsonLine.utf8)))
        }
        _ = try vault.store(batch, alerts: alerts)
        return dir
    }

    /// Consent on, the export's default recipient a treatment recipient.
    static func treatmentBook() -> ConsentBook { ConsentBook(policy: .treatmentOnly(by: [ExportConsent.defaultRecipient])) }

    static func export(_ dir: TemporaryDirectory, _ arguments: [String], book: ConsentBook = treatmentBook())
        throws -> (lines: [JSONValue], disclosures: [Disclosure]) {
        let out = dir.appending("export-\(UInt32.random(in: 0 ... .max)).jsonl").path
        let command = try ExportCommand.parse(["--data-dir", dir.path, "--out", out] + arguments)
        let recorder = InMemoryDisclosureRecorder()
        try command.run(consent: book, recorder: recorder)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        return (try text.split(separator: "\n").map { try JSONParser().parse(Array($0.utf8)) }, recorder.disclosures)
    }

    @Test func theOwningHospitalsExportGoesAndIsRecordedPerPatient() throws {
        let dir = try Self.dataDirectory()
        let (lines, disclosures) = try Self.export(dir, [])
        #expect(lines.count == 6 && lines.allSatisfy { $0["patient"]?.stringValue?.hasPrefix("MRN-EXPORT-") == true })
        #expect(disclosures.count == 2 && disclosures.allSatisfy {
            $0.channel == .export && $0.recipient == "local-export" && $0.purpose == .treatment && $0.count == 3
                && $0.classes == [.vitals, .identity] && $0.basis == .defaultPolicy
        })
    }

    @Test func anotherRecipientOrPurposeGetsNothingUnlessConsentPermits() throws {
        let dir = try Self.dataDirectory()
        #expect(try Self.export(dir, ["--purpose", "HRESCH"]).lines.isEmpty)
        #expect(try Self.export(dir, ["--recipient", "registry", "--alerts"]).lines.isEmpty)
        let book = Self.treatmentBook()
        book.apply(ConsentRecord(id: "research", patient: "MRN-EXPORT-B", version: 1, issuedAt: 0,
                                 provision: ConsentProvision(type: .permit, actors: ["registry"], purposes: [.research]),
                                 source: .document(keyID: "test")))
        let (lines, disclosures) = try Self.export(dir, ["--recipient", "registry", "--purpose", "HRESCH"], book: book)
        #expect(lines.count == 3 && lines.allSatisfy { $0["patient"]?.stringValue == "MRN-EXPORT-B" })
        #expect(disclosures.map(\.patient) == ["MRN-EXPORT-B"])
        #expect(throws: (any Error).self) { try ExportCommand.parse(["--purpose", "treat"]) }
    }

    @Test func identityDeniedExportsThePseudonym() throws {
        let dir = try Self.dataDirectory()
        let book = Self.treatmentBook()
        book.apply(ConsentRecord(id: "no-identity", patient: "MRN-EXPORT-A", version: 1, issuedAt: 0,
                                 provision: ConsentProvision(type: .deny, classes: .identity), source: .document(keyID: "test")))
        for arguments in [[], ["--alerts"], ["--fhir", "ndjson", "--gateway", "gw-x"]] {
            let (lines, disclosures) = try Self.export(dir, arguments, book: book)
            let text = lines.map { JSONWriter.canonicalString($0) }.joined(separator: "\n")
            #expect(!text.contains("MRN-EXPORT-A") && text.contains("MRN-EXPORT-B"), "\(arguments)")
            if arguments.first == "--fhir" {
                #expect(text.contains("urn:vitalgate:gw-x:patient-pseudonym"))
            } else {
                #expect(lines.filter { $0["patient"] == .null }.allSatisfy { $0["patient_pseudonym"]?.stringValue?.count == 64 })
            }
            let toA = try #require(disclosures.first { $0.patient == "MRN-EXPORT-A" })
            #expect(!toA.classes.contains(.identity))
        }
    }

    @Test func theCommandTakesThePolicyOfTheAgentsConfiguration() throws {
        let dir = try Self.dataDirectory()
        func lines(_ config: String, _ arguments: [String]) throws -> Int {
            let path = dir.appending("agent-\(UInt32.random(in: 0 ... .max)).conf").path
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            let out = dir.appending("out-\(UInt32.random(in: 0 ... .max)).jsonl").path
            try ExportCommand.parse(["--data-dir", dir.path, "--out", out, "--config", path] + arguments).run()
            return try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count
        }
        // Consent off (the default): every disclosure is permitted, as before consent existed.
        #expect(try lines("", ["--purpose", "HRESCH"]) == 6)
        let on = """
            [consent]
            enabled = true
            treatment_recipients = ["local-export"]
            """
        #expect(try lines(on, []) == 6)
        #expect(try lines(on, ["--purpose", "HRESCH"]) == 0)
        #expect(try lines(on, ["--recipient", "someone-else"]) == 0)
    }
}
