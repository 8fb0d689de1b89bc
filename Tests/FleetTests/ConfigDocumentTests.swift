import Cryptography
import Fleet
import Telemetry
import Testing

@Suite struct ConfigDocumentTests {
    @Test func jsonRoundTrip() throws {
        let document = Fixtures.document(sections: ConfigSections(
            ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 256),
            sealing: .init(batchMaxReadings: 500, batchMaxAgeMs: 5000, witnessKeys: [Fixtures.witnessKey]),
            detection: .init(enabled: true, threshold: 0.75),
            storage: .init(maxBytes: 1 << 30, whenFull: .evictOldest, keepDays: 14),
            ledger: .init(backend: .evm, endpoint: "http://127.0.0.1:8545", chainID: 1337,
                          contract: "0x" + String(repeating: "ab", count: 20), confirmations: 12),
            broker: .init(url: "mqtts://broker.example:8883"),
            operators: .init(policy: Fixtures.policy),
            schemas: .init(files: []),
            egress: .init(fhir: "https://ehr.example/fhir", upstream: "", upstreamTopic: "site/{gateway}/{kind}",
                          patientIdentifierSystem: "urn:oid:1.2.3")))
        #expect(try ConfigDocument(json: document.json) == document)
        #expect(document.sections.present == ConfigSection.allCases)
    }

    @Test(arguments: [
        (#"{"fhir":"ftp://x","upstream":""}"#, "egress.fhir"),
        (#"{"fhir":"","upstream":"http://x"}"#, "egress.upstream"),
        (#"{"fhir":"","upstream":"","upstream_topic":"a/#"}"#, "egress.upstream_topic"),
        (#"{"fhir":"","upstream":"","patient_identifier_system":"a|b"}"#, "egress.patient_identifier_system"),
        (#"{"fhir":""}"#, "egress.upstream"),
        (#"{"fhir":"","upstream":"","ndjson":"/etc"}"#, "egress.ndjson"),
    ])
    func badEgressSectionsAreMalformedNamingTheField(section: String, field: String) throws {
        var json = Fixtures.document(sections: ConfigSections()).json
        guard case .object(var members) = json else { Issue.record("not an object"); return }
        members.append(("egress", try JSONParser().parse(Array(section.utf8))))
        json = .object(members)
        do {
            _ = try ConfigDocument(json: json)
            Issue.record("accepted \(section)")
        } catch {
            #expect("\(error)".contains(field), "\(error)")
        }
    }

    @Test func hashIsStableUnderKeyOrderAndWhitespace() throws {
        let document = Fixtures.document(target: .group("ward-3"))
        let signature = try Fixtures.alice.signature(forDocument: document.json)
        let compact = SignedConfig.envelope(document: document.json, signatures: [signature])
        // Same document, members reversed and pretty-printed by hand.
        let reordered = """
        {
          "signatures": [ { "signature": "\(signature.signature.hexString)", "key_id": "\(signature.keyID)" } ],
          "document": {
            "storage": { "max_bytes": 1073741824 },
            "ingest": { "max_batch": 256, "topics": [ "wban/v1/+/+" ] },
            "expires": \(Fixtures.now + 3_600_000),
            "not_before": \(Fixtures.now - 60_000),
            "version": 5,
            "target": { "group": "ward-3" },
            "format": 1
          }
        }
        """
        let a = try Fixtures.evaluate(compact).get()
        let b = try Fixtures.evaluate(Array(reordered.utf8)).get()
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash == SHA256.hash(JSONWriter.canonicalBytes(document.json)))
        #expect(a.document == b.document)
    }

    @Test(arguments: [
        ("{\"gateway\":\"a\",\"group\":\"b\"}", "document.target"),
        ("{}", "document.target"),
        ("{\"gateway\":7}", "document.target.gateway"),
    ])
    func targetMustNameOneGatewayOrGroup(target: String, field: String) throws {
        let value = try JSONParser().parse(target)
        let json = Fixtures.replacing("target", with: value, in: Fixtures.document().json)
        #expect(throws: ConfigRejection.self) { try ConfigDocument(json: json) }
        do {
            _ = try ConfigDocument(json: json)
        } catch {
            guard case .malformed(let actual, _) = error.reason else {
                Issue.record("expected malformed, got \(error)")
                return
            }
            #expect(actual == field)
        }
    }

    @Test func unsupportedFormatIsMalformed() {
        let json = Fixtures.replacing("format", with: .number(2), in: Fixtures.document().json)
        #expect(throws: ConfigRejection.self) { try ConfigDocument(json: json) }
    }

    @Test func keyIDIsFirstEightBytesOfHash() {
        let key = Fixtures.alice.operatorKey
        #expect(key.keyID == Array(SHA256.hash(key.publicKey.rawRepresentation).prefix(8)).hexString)
        #expect(key.keyID.utf8.count == 16)
    }
}
