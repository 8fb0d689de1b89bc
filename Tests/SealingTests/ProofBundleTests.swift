import Cryptography
import Sealing
import Telemetry
import Testing
import Transparency

@Suite("ProofBundle and TrustAnchors JSON")
struct ProofBundleTests {
    static func object(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser(maxBytes: 1 << 22, maxDepth: 32).parse(bytes) }

    /// Applies `edit` to member `section` (or the top level when nil) of the JSON object; the
    /// section must be there and be an object, so that a malformation never lands elsewhere.
    static func edited(_ json: JSONValue, section: String?,
                       _ edit: (inout [(key: String, value: JSONValue)]) -> Void) throws -> [UInt8] {
        var top = try #require(json.objectValue, "the JSON is an object")
        if let section {
            let index = try #require(top.firstIndex { $0.key == section }, "no section \(section)")
            var inner = try #require(top[index].value.objectValue, "section \(section) is an object")
            edit(&inner)
            top[index].value = .object(inner)
        } else {
            edit(&top)
        }
        return JSONWriter.canonicalBytes(.object(top))
    }

    static func set(_ key: String, _ value: JSONValue?) -> (inout [(key: String, value: JSONValue)]) -> Void {
        { members in
            members.removeAll { $0.key == key }
            if let value { members.append((key, value)) }
        }
    }

    struct Malformation: CustomTestStringConvertible, Sendable {
        let name: String
        let section: String?
        let key: String
        let value: JSONValue?
        var testDescription: String { name }
    }

    static let malformations: [Malformation] = [
        .init(name: "unknown top-level field", section: nil, key: "extra", value: .null),
        .init(name: "wrong type", section: nil, key: "type", value: .string("something-else")),
        .init(name: "version 2", section: nil, key: "version", value: .number(2)),
        .init(name: "missing anchors", section: nil, key: "anchors", value: nil),
        .init(name: "anchors not an array", section: nil, key: "anchors", value: .object([])),
        .init(name: "unknown reading field", section: "reading", key: "patient", value: .string("x")),
        .init(name: "short commitment", section: "reading", key: "commitment", value: .string("abcd")),
        .init(name: "non-hex salt", section: "reading", key: "salt", value: .string(String(repeating: "zz", count: 32))),
        .init(name: "salt removed without erasure", section: "reading", key: "salt", value: nil),
        .init(name: "erased with content", section: "reading", key: "erased", value: .bool(true)),
        .init(name: "canonical not base64", section: "reading", key: "canonical", value: .string("%%%%")),
        .init(name: "negative id", section: "reading", key: "id", value: .number(-1)),
        .init(name: "fractional id", section: "reading", key: "id", value: .number(1.5)),
        .init(name: "id above 2^53", section: "reading", key: "id", value: .number(9_007_199_254_740_992)),
        .init(name: "size zero", section: "batch", key: "size", value: .number(0)),
        .init(name: "size above 2^32", section: "batch", key: "size", value: .number(4_294_967_296)),
        .init(name: "header version 2", section: "batch", key: "header_version", value: .number(2)),
        .init(name: "short signature", section: "batch", key: "signature", value: .string("00")),
        .init(name: "audit path element too short", section: "batch", key: "audit_path", value: .array([.string("00")])),
        .init(name: "audit path too long", section: "batch", key: "audit_path",
              value: .array(Array(repeating: .string(String(repeating: "00", count: 32)), count: 65))),
        .init(name: "empty gateway", section: "batch", key: "gateway", value: .string("")),
        .init(name: "missing checkpoint", section: "log", key: "checkpoint", value: nil),
        .init(name: "tree size as string", section: "log", key: "tree_size", value: .string("3")),
    ]

    @Test("strict parsing rejects malformed bundles with typed errors", arguments: malformations)
    func malformed(_ case: Malformation) throws {
        let fixture = try Fixture(count: 3)
        let json = try Self.object(try fixture.ledger.bundle(forReading: 1).json)
        let bytes = try Self.edited(json, section: `case`.section, Self.set(`case`.key, `case`.value))
        #expect(throws: SealingError.self) { try ProofBundle(json: bytes) }
    }

    @Test("syntax errors, trailing bytes and oversize input are rejected")
    func syntax() throws {
        let fixture = try Fixture(count: 3)
        let good = try fixture.ledger.bundle(forReading: 1).json
        #expect(throws: Never.self) { try ProofBundle(json: good) }
        for bad in [Array(good.dropLast(2)), good + Array("{}".utf8), [], Array("[]".utf8),
                    [UInt8](repeating: 0x20, count: ProofBundle.maximumByteCount + 1)] {
            #expect(throws: SealingError.self) { try ProofBundle(json: bad) }
        }
        let error = try #require(throws: SealingError.self) { try ProofBundle(json: Array("{\"version\":1}".utf8)) }
        #expect(error.code == .malformedBundle)
    }

    @Test("the bundle JSON is canonical and stable")
    func canonical() throws {
        let fixture = try Fixture(count: 3)
        let bundle = try fixture.ledger.bundle(forReading: 2)
        let json = bundle.json
        #expect(try ProofBundle(json: json).json == json)
        #expect(JSONWriter.canonicalBytes(try Self.object(json)) + [0x0A] == json)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"anchors":[],"batch":{"audit_path":["#))
        #expect(text.contains(#""type":"vitalgate.proof-bundle","version":1}"#))
    }

    @Test("trust.json round-trips and is parsed strictly")
    func trust() throws {
        let fixture = try Fixture(count: 1)
        let trust = try fixture.trust(minimumCosignatures: 1)
        let parsed = try TrustAnchors(json: trust.json)
        #expect(parsed.json == trust.json)
        #expect(parsed.gatewayKey == fixture.identityKey.publicKey)
        #expect(parsed.gatewayID == Fixture.gateway)
        #expect(parsed.logKey == fixture.logSigner.verifierKey)
        #expect(parsed.witnessKeys == fixture.witnesses.map(\.verifierKey))
        #expect(parsed.minimumCosignatures == 1)
        let minimal = """
            {"type":"vitalgate.trust","version":1,"gateway_public_key":"\(fixture.identityKey.publicKey.rawRepresentation.hexString)",
             "log_origin":"\(Fixture.origin)","log_vkey":"\(fixture.logSigner.verifierKey)"}
            """
        let loaded = try TrustAnchors(json: Array(minimal.utf8))
        #expect(loaded.witnessKeys.isEmpty && loaded.minimumCosignatures == 0 && loaded.gatewayID == nil)

        let json = try Self.object(trust.json)
        let witness = fixture.witnesses[0].verifierKey.description
        let bad: [(String, JSONValue?)] = [
            ("extra", .bool(true)),
            ("version", .number(2)),
            ("gateway_public_key", .string("00")),
            ("log_vkey", .string("not a vkey")),
            ("log_vkey", .string(witness)),                                   // a cosignature key as the log key
            ("witness_vkeys", .array([.string(fixture.logSigner.verifierKey.description)])),  // a note key as a witness
            ("witness_vkeys", .array([.string(witness), .string(witness)])),  // listed twice
            ("min_cosignatures", .number(3)),                                 // more than pinned
            ("log_origin", .string("")),
        ]
        for (key, value) in bad {
            let bytes = try Self.edited(json, section: nil, Self.set(key, value))
            #expect(throws: SealingError.self, "\(key)") { try TrustAnchors(json: bytes) }
        }
    }

    @Test("the ledger refuses bundles it cannot prove yet")
    func notYetProvable() throws {
        var fixture = try Fixture(count: 4)
        #expect(throws: SealingError.self) { try fixture.ledger.bundle(forReading: 99) }
        try fixture.ledger.commit(canonical: [1, 2, 3], receivedAt: 1_700_000_009_000)
        let open = try #require(throws: SealingError.self) { try fixture.ledger.bundle(forReading: 4) }
        #expect(open.code == .notYetProvable)
        try fixture.ledger.shutdown(at: 1_700_000_009_001)
        let uncovered = try #require(throws: SealingError.self) { try fixture.ledger.bundle(forReading: 4) }
        #expect(uncovered.code == .notYetProvable)
        try fixture.ledger.publishCheckpoint()
        let report = BundleVerifier.verify(try fixture.ledger.bundle(forReading: 4), trust: try fixture.trust(minimumCosignatures: 0))
        #expect(report.passed)
    }
}
