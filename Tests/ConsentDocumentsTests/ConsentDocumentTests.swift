import Consent
import ConsentDocuments
import Fleet
import Foundation
import Telemetry
import Testing
import VitalGateTesting

/// The consent document format: the FHIR R4 Consent body read into a record (and written back),
/// strictly; the fixture's meaning.
@Suite struct ConsentDocumentTests {
    static let fixturePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/consent-document.json").path

    static func fixture() throws -> JSONValue {
        try JSONParser(maxBytes: 1 << 20, maxDepth: 40).parse(FileManager.default.contents(atPath: fixturePath)!)
    }

    /// The fixture with the member at `path` (dotted, array indices as numbers) replaced by
    /// `value`, or removed when `value` is nil.
    static func editing(_ json: JSONValue, _ path: [String], _ value: JSONValue?) -> JSONValue {
        guard let head = path.first else { return value ?? .null }
        switch json {
        case .object(var members):
            if let index = members.firstIndex(where: { $0.key == head }) {
                if path.count == 1, value == nil { members.remove(at: index) } else {
                    members[index].value = editing(members[index].value, Array(path.dropFirst()), value)
                }
            } else if path.count == 1, let value {
                members.append((head, value))
            }
            return .object(members)
        case .array(var elements):
            guard let index = Int(head), elements.indices.contains(index) else { return json }
            elements[index] = editing(elements[index], Array(path.dropFirst()), value)
            return .array(elements)
        default:
            return json
        }
    }

    @Test func theFixtureReadsAsTheRecordItDescribes() throws {
        let document = try ConsentDocument(json: try Self.fixture(), signer: "0123456789abcdef")
        #expect(document.target == .gateway("gw-a"))
        #expect(document.version == 3)
        #expect(document.issuedAt == 1_800_000_000_000)
        let record = document.record
        #expect(record.id == "consent-research-1")
        #expect(record.patient == "MRN-00012345")
        #expect(record.version == 3)
        #expect(record.status == .active)
        #expect(record.issuedAt == 1_800_000_000_000)
        #expect(record.source == .document(keyID: "0123456789abcdef"))
        let provision = record.provision
        #expect(provision.type == .permit)
        #expect(provision.actors == ["research-lab"])
        #expect(provision.purposes == [.research])
        #expect(provision.classes == [.vitals, .alerts])
        #expect(provision.period == ConsentPeriod(start: 1_800_000_000_000, end: 1_815_638_400_000))
        #expect(provision.dataPeriod.start == 1_798_761_600_000)
        #expect(provision.provisions.count == 1)
        #expect(provision.provisions[0].type == .deny)
        #expect(provision.provisions[0].classes == [.alerts])

        // What it decides: research vitals permitted, identity (not named) denied, March alerts denied.
        let book = ConsentBook(policy: .denyAll)
        book.apply(record)
        func ask(_ classes: DataClasses, data: Int64 = 1_801_000_000_000, at: Int64 = 1_801_000_000_000,
                 purpose: PurposeOfUse = .research, to recipient: String = "research-lab") -> DataClasses {
            book.decide(DisclosureRequest(patient: "MRN-00012345", recipient: recipient, purpose: purpose, classes: classes,
                                          dataTime: data, disclosedAt: at)).permitted
        }
        #expect(ask([.vitals, .alerts, .identity]) == [.vitals, .alerts])
        #expect(ask([.vitals], to: "someone-else") == [])
        #expect(ask([.vitals], purpose: .treatment) == [])
        #expect(ask([.alerts], data: 1_803_000_000_000) == [.alerts])  // 2027-02-19: before March
        #expect(ask([.alerts], data: 1_804_000_000_000) == [])  // 2027-03-09: the exception
        #expect(ask([.vitals], at: 1_816_000_000_000) == [])  // after the period
    }

    @Test func writingARecordReadsBackTheSame() throws {
        let record = SampleConsent.record(version: 7, status: .inactive, issuedAt: 1_800_000_000_123)
        let document = SampleConsent.document(record, target: .group("ward-3"))
        let read = try ConsentDocument(json: document.json, signer: "")
        #expect(read == document)
        let fixture = try ConsentDocument(json: try Self.fixture(), signer: "k")
        #expect(try ConsentDocument(json: fixture.json, signer: "k") == fixture)
    }

    @Test(arguments: [
        (["consent", "extension"], JSONValue.array([]), "document.consent.extension"),
        (["consent", "status"], .string("draft"), "document.consent.status"),
        (["consent", "resourceType"], .string("Patient"), "document.consent.resourceType"),
        (["consent", "id"], .string("has space"), "document.consent.id"),
        (["consent", "dateTime"], .string("2027-01-15"), "document.consent.dateTime"),
        (["consent", "scope", "coding", "0", "code"], .string("research"), "document.consent.scope"),
        (["consent", "category"], .array([]), "document.consent.category"),
        (["consent", "patient", "identifier", "value"], .string(""), "document.consent.patient.identifier.value"),
        (["consent", "provision", "type"], .string("maybe"), "document.consent.provision.type"),
        (["consent", "provision", "purpose", "0", "system"], .string("urn:other"), "document.consent.provision.purpose[0]"),
        (["consent", "provision", "class", "1", "code"], .string("genome"), "document.consent.provision.class[1]"),
        (["consent", "provision", "actor", "0", "reference", "identifier", "system"], .string("urn:other"),
         "document.consent.provision.actor[0].reference.identifier.system"),
        (["consent", "provision", "period", "end"], .string("2026-01-01T00:00:00Z"), "document.consent.provision.period"),
        (["consent", "provision", "actor", "0", "role"], nil, "document.consent.provision.actor[0].role"),
        (["expires"], .number(1_700_000_000_000), "document.expires"),
        (["format"], .number(2), "document.format"),
        (["target"], .object([("gateway", .string("a")), ("group", .string("b"))]), "document.target"),
        (["version"], .number(-1), "document.version"),
    ] as [([String], JSONValue?, String)])
    func strayOrWrongFieldsAreRefusedNamingTheField(path: [String], value: JSONValue?, field: String) throws {
        let edited = Self.editing(try Self.fixture(), path, value)
        #expect(edited != (try Self.fixture()))
        do {
            _ = try ConsentDocument(json: edited, signer: "")
            Issue.record("accepted \(path)")
        } catch {
            guard case .malformed(let named, let detail) = error.reason else {
                Issue.record("\(error)")
                return
            }
            #expect(named == field)
            #expect(!detail.contains("MRN"))
        }
    }

    @Test func provisionsNestedDeeperThanTheLimitAreRefused() throws {
        func nested(_ depth: Int) -> ConsentProvision {
            depth == 1 ? ConsentProvision(type: .deny) : ConsentProvision(type: .permit, provisions: [nested(depth - 1)])
        }
        var record = SampleConsent.record(version: 1)
        record.provision = nested(ConsentProvision.maxDepth)
        let ok = SampleConsent.document(record, target: .gateway("gw-a"))
        #expect(try ConsentDocument(json: ok.json, signer: "").record.provision.depth == ConsentProvision.maxDepth)
        record.provision = nested(ConsentProvision.maxDepth + 1)
        let deep = SampleConsent.document(record, target: .gateway("gw-a"))
        #expect(throws: ConfigRejection.self) { try ConsentDocument(json: deep.json, signer: "") }
    }

    @Test func envelopesOverTheSizeLimitOrNotJSONAreRefused() throws {
        let big = Array(repeating: UInt8(ascii: " "), count: ConsentDocument.maxBytes + 1)
        #expect(throws: ConfigRejection.self) { try SignedConsent(bytes: big) }
        do { _ = try SignedConsent(bytes: big) } catch { #expect(error.reason.code == "oversize") }
        do { _ = try SignedConsent(bytes: Array("{\"document\":".utf8)) } catch { #expect(error.reason.code == "malformed") }
    }

    /// The body is a FHIR R4 Consent for a third-party validator (fhir.resources, FHIR 4.0.1).
    @Test func theBodyValidatesAsAFHIRR4Consent() throws {
        let dir = try TemporaryDirectory()
        let fixture = try Self.fixture()
        let written = FHIRConsent.json(try ConsentDocument(json: fixture, signer: "").record,
                                       patientSystem: "urn:vitalgate:patient-identifier")
        let lines = [JSONWriter.canonicalString(fixture["consent"]!), JSONWriter.canonicalString(written)]
        let file = dir.appending("Consent.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let (passed, report) = try FHIRValidator.validate([dir.url.path])
        #expect(passed, "\(report)")
        #expect((report["resources"] as? [String: Any])?["Consent"] as? Int == 2)
    }
}
