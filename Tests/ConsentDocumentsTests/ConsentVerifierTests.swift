import Consent
import ConsentDocuments
import Fleet
import Telemetry
import Testing
import VitalGateTesting

/// What the gateway accepts: pinned authority signatures (k of n), its own target, a version
/// above the high-water mark, inside the validity window. Each refusal has its reason.
@Suite struct ConsentVerifierTests {
    static let alice = SampleConsent.signer(1, "alice")
    static let bob = SampleConsent.signer(2, "bob")
    static let mallory = SampleConsent.signer(9, "mallory")
    static let authority = ConsentAuthority(keys: [alice.operatorKey, bob.operatorKey])
    static let now = UInt64(SampleConsent.nowMs)

    static func judge(_ bytes: [UInt8], authority: ConsentAuthority = authority, highWater: UInt64? = nil,
                      now: UInt64 = now) -> Result<AcceptedConsent, ConfigRejection> {
        Result { () throws(ConfigRejection) in try SignedConsent(bytes: bytes) }.flatMap {
            ConsentVerifier.evaluate($0, authority: authority, gatewayID: "gw-a", groups: ["ward-3"],
                                     highWater: { _ in highWater }, now: now)
        }
    }

    static func code(_ result: Result<AcceptedConsent, ConfigRejection>) -> String {
        switch result {
        case .success: "accepted"
        case .failure(let rejection): rejection.reason.code
        }
    }

    static let record = SampleConsent.record(version: 5)
    static let document = SampleConsent.document(record, target: .gateway("gw-a"))

    @Test func aDocumentSignedByAPinnedAuthorityIsAccepted() throws {
        let accepted = try Self.judge(SampleConsent.signed(Self.document, by: [Self.alice])).get()
        #expect(accepted.signerKeyIDs == [Self.alice.keyID])
        #expect(accepted.record.source == .document(keyID: Self.alice.keyID))
        #expect(accepted.record.version == 5)
        #expect(accepted.contentHash == ConsentDocument.contentHash(of: Self.document.json))
        // A group this gateway is in.
        let group = SampleConsent.document(Self.record, target: .group("ward-3"))
        #expect(Self.code(Self.judge(SampleConsent.signed(group, by: [Self.alice]))) == "accepted")
    }

    @Test func forgedAndUnpinnedSignaturesAreRefused() throws {
        #expect(Self.code(Self.judge(SampleConsent.signed(Self.document, by: []))) == "missing-signatures")
        #expect(Self.code(Self.judge(SampleConsent.signed(Self.document, by: [Self.mallory]))) == "unknown-key")
        #expect(Self.code(Self.judge(SampleConsent.signed(Self.document, by: [Self.alice, Self.mallory]))) == "unknown-key")
        // Alice's signature over another document, moved onto this one: forged.
        var other = Self.record
        other.provision.actors = ["someone-else"]
        let signedOther = try SignedConsent(bytes: SampleConsent.signed(SampleConsent.document(other, target: .gateway("gw-a")),
                                                                         by: [Self.alice]))
        let forged = SignedEnvelope.serialise(document: Self.document.json, signatures: signedOther.signatures)
        #expect(Self.code(Self.judge(forged)) == "bad-signature")
        // A fleet (configuration) signature by a pinned key does not sign a consent document.
        let fleetSigned = try Self.alice.signature(forDocument: Self.document.json)
        let crossDomain = SignedEnvelope.serialise(document: Self.document.json, signatures: [fleetSigned])
        #expect(Self.code(Self.judge(crossDomain)) == "bad-signature")
    }

    @Test func aThresholdNeedsThatManyDistinctAuthorities() throws {
        let twoOfTwo = ConsentAuthority(keys: [Self.alice.operatorKey, Self.bob.operatorKey], threshold: 2)
        let one = SampleConsent.signed(Self.document, by: [Self.alice])
        #expect(Self.code(Self.judge(one, authority: twoOfTwo)) == "insufficient-signatures")
        let both = SampleConsent.signed(Self.document, by: [Self.alice, Self.bob])
        #expect(Self.code(Self.judge(both, authority: twoOfTwo)) == "accepted")
    }

    @Test func otherTargetsReplaysAndDocumentsOutsideTheirWindowAreRefused() throws {
        let signed = SampleConsent.signed(Self.document, by: [Self.alice])
        #expect(Self.code(Self.judge(signed, highWater: 4)) == "accepted")
        #expect(Self.code(Self.judge(signed, highWater: 5)) == "replay")
        #expect(Self.code(Self.judge(signed, highWater: 9)) == "replay")
        for target in [ConfigTarget.gateway("gw-b"), .group("ward-4")] {
            let misaddressed = SampleConsent.signed(SampleConsent.document(Self.record, target: target), by: [Self.alice])
            #expect(Self.code(Self.judge(misaddressed)) == "wrong-target")
        }
        let expired = SampleConsent.document(Self.record, target: .gateway("gw-a"), issuedAt: Self.now - 7_200_000,
                                             expires: Self.now - 1)
        #expect(Self.code(Self.judge(SampleConsent.signed(expired, by: [Self.alice]))) == "expired")
        let future = SampleConsent.document(Self.record, target: .gateway("gw-a"),
                                            issuedAt: Self.now + ConsentVerifier.maxClockSkewMs + 60_000,
                                            expires: Self.now + 7_200_000)
        #expect(Self.code(Self.judge(SampleConsent.signed(future, by: [Self.alice]))) == "not-yet-valid")
    }

    @Test func authorityFilesAreReadStrictly() throws {
        let key: JSONValue = .object([("name", .string("alice")),
                                      ("public_key", .string(Self.alice.operatorKey.publicKey.rawRepresentation.hexString)),
                                      ("key_id", .string(Self.alice.keyID))])
        let authority = try ConsentAuthority(json: .object([("keys", .array([key])), ("threshold", .number(1))]))
        #expect(authority.keys.map(\.keyID) == [Self.alice.keyID])
        #expect(throws: ConfigRejection.self) {
            try ConsentAuthority(json: .object([("keys", .array([key])), ("threshold", .number(2))]))
        }
        #expect(throws: ConfigRejection.self) { try ConsentAuthority(json: .object([("keys", .array([]))])) }
        #expect(throws: ConfigRejection.self) {
            try ConsentAuthority(json: .object([("keys", .array([key])), ("thresholds", .object([]))]))
        }
    }
}
