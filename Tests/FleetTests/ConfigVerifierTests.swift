import Cryptography
import Fleet
import Telemetry
import Testing

@Suite struct ConfigVerifierTests {
    @Test func validDocumentSignedByOneKeyApplies() throws {
        let document = Fixtures.document()
        let bytes = try ConfigSigner.sign(document, with: [Fixtures.alice])
        let accepted = try Fixtures.evaluate(bytes).get()
        #expect(accepted.version == 5)
        #expect(accepted.document == document)
        #expect(accepted.signerKeyIDs == [Fixtures.alice.keyID])
        #expect(accepted.contentHash == SHA256.hash(JSONWriter.canonicalBytes(document.json)))
        #expect(accepted.sections.ingest?.maxBatch == 256)
        #expect(accepted.rotatedPolicy == nil)
    }

    @Test func groupTargetAppliesToMember() throws {
        let bytes = try ConfigSigner.sign(Fixtures.document(target: .group("ward-3")), with: [Fixtures.bob])
        #expect(throws: Never.self) { try Fixtures.evaluate(bytes).get() }
    }

    @Test func firstDocumentWithNothingApplied() throws {
        let bytes = try ConfigSigner.sign(Fixtures.document(version: 0), with: [Fixtures.alice])
        #expect(throws: Never.self) { try Fixtures.evaluate(bytes, applied: nil).get() }
    }

    /// One crafted document per rejection reason.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: ConfigRejection.Reason
        let bytes: @Sendable () throws -> [UInt8]
        var testDescription: String { name }
    }

    static let base = Fixtures.document().json
    static let cases: [Case] = [
        Case(name: "oversize", expected: .oversize(size: 70_000, limit: 65_536)) {
            [UInt8](repeating: UInt8(ascii: " "), count: 70_000)
        },
        Case(name: "not-json", expected: .malformed(field: "", detail: "invalid JSON at byte 1")) {
            Array("{nope".utf8)
        },
        Case(name: "unknown-field", expected: .malformed(field: "document.colour", detail: "unknown field")) {
            try ConfigSigner.sign(json: Fixtures.replacing("colour", with: .string("red"), in: base),
                                  with: [Fixtures.alice])
        },
        Case(name: "wrong-type", expected: .malformed(field: "document.ingest.max_batch",
                                                      detail: "expected number, found string")) {
            let ingest: JSONValue = .object([("topics", .array([.string("a/#")])), ("max_batch", .string("9"))])
            return try ConfigSigner.sign(json: Fixtures.replacing("ingest", with: ingest, in: base),
                                         with: [Fixtures.alice])
        },
        Case(name: "missing-version", expected: .malformed(field: "document.version", detail: "missing required field")) {
            try ConfigSigner.sign(json: Fixtures.replacing("version", with: nil, in: base), with: [Fixtures.alice])
        },
        Case(name: "unknown-key", expected: .unknownKey(keyID: Fixtures.mallory.keyID)) {
            try ConfigSigner.sign(Fixtures.document(), with: [Fixtures.mallory])
        },
        Case(name: "bad-signature", expected: .badSignature(keyID: Fixtures.alice.keyID)) {
            var signature = try Fixtures.alice.signature(forDocument: base)
            signature.signature[10] ^= 0x01
            return SignedConfig.envelope(document: base, signatures: [signature])
        },
        Case(name: "insufficient-signatures",
             expected: .insufficientSignatures(section: "detection", have: 1, need: 2)) {
            let document = Fixtures.document(sections: .init(detection: .init(enabled: true, threshold: 0.9)))
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "replay", expected: .replay(version: 4, applied: 4)) {
            try ConfigSigner.sign(Fixtures.document(version: 4), with: [Fixtures.alice])
        },
        Case(name: "wrong-gateway", expected: .wrongTarget) {
            try ConfigSigner.sign(Fixtures.document(target: .gateway("gw-8")), with: [Fixtures.alice])
        },
        Case(name: "wrong-group", expected: .wrongTarget) {
            try ConfigSigner.sign(Fixtures.document(target: .group("ward-9")), with: [Fixtures.alice])
        },
        Case(name: "not-yet-valid", expected: .notYetValid) {
            var document = Fixtures.document()
            document.notBefore = Fixtures.now + 1
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "expired", expected: .expired) {
            var document = Fixtures.document()
            document.expires = Fixtures.now
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "detection-threshold", expected: .outOfSafeRange(field: "detection.threshold")) {
            let document = Fixtures.document(sections: .init(detection: .init(enabled: true, threshold: 0.3)))
            return try ConfigSigner.sign(document, with: [Fixtures.alice, Fixtures.bob])
        },
        Case(name: "max-batch", expected: .outOfSafeRange(field: "ingest.max_batch")) {
            let document = Fixtures.document(sections: .init(ingest: .init(topics: ["a/#"], maxBatch: 10_001)))
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "batch-max-readings", expected: .outOfSafeRange(field: "sealing.batch_max_readings")) {
            let sealing = ConfigSections.Sealing(batchMaxReadings: 0, batchMaxAgeMs: 1000, witnessKeys: [])
            return try ConfigSigner.sign(Fixtures.document(sections: .init(sealing: sealing)), with: [Fixtures.alice])
        },
        Case(name: "batch-max-age", expected: .outOfSafeRange(field: "sealing.batch_max_age_ms")) {
            let sealing = ConfigSections.Sealing(batchMaxReadings: 10, batchMaxAgeMs: 99, witnessKeys: [])
            return try ConfigSigner.sign(Fixtures.document(sections: .init(sealing: sealing)), with: [Fixtures.alice])
        },
        Case(name: "storage", expected: .outOfSafeRange(field: "storage.max_bytes")) {
            let document = Fixtures.document(sections: .init(storage: .init(maxBytes: 64 * 1024 * 1024 - 1)))
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "retention-keep-days", expected: .outOfSafeRange(field: "retention.keep_days")) {
            let document = Fixtures.document(sections: .init(storage: .init(maxBytes: 1 << 30, keepDays: 0)))
            return try ConfigSigner.sign(document, with: [Fixtures.alice])
        },
        Case(name: "missing-signatures", expected: .missingSignatures) {
            SignedConfig.envelope(document: base, signatures: [])
        },
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) throws {
        let result = Fixtures.evaluate(try testCase.bytes())
        #expect(result.rejection == testCase.expected)
    }

    @Test func detectionNeedsTwoOperators() throws {
        let document = Fixtures.document(sections: .init(detection: .init(enabled: true, threshold: 0.8)))
        let one = try ConfigSigner.sign(document, with: [Fixtures.bob])
        #expect(Fixtures.evaluate(one).rejection == .insufficientSignatures(section: "detection", have: 1, need: 2))
        let two = try ConfigSigner.sign(document, with: [Fixtures.alice, Fixtures.bob])
        let accepted = try Fixtures.evaluate(two).get()
        #expect(accepted.signerKeyIDs == [Fixtures.alice.keyID, Fixtures.bob.keyID].sorted())
        #expect(accepted.sections.detection == .init(enabled: true, threshold: 0.8))
    }

    @Test func duplicateSignerDoesNotCountTwice() throws {
        let document = Fixtures.document(sections: .init(detection: .init(enabled: true, threshold: 0.8)))
        let signature = try Fixtures.alice.signature(forDocument: document.json)
        let bytes = SignedConfig.envelope(document: document.json, signatures: [signature, signature])
        #expect(Fixtures.evaluate(bytes).rejection
            == .malformed(field: "signatures[1].key_id", detail: "duplicate signer"))
    }

    @Test func forgedDocumentByteIsRejected() throws {
        let bytes = try ConfigSigner.sign(Fixtures.document(), with: [Fixtures.alice])
        let text = String(decoding: bytes, as: UTF8.self)
        // Raise max_batch from 256 to 956 without re-signing.
        let forged = Array(text.replacing("\"max_batch\":256", with: "\"max_batch\":956").utf8)
        #expect(forged != bytes)
        #expect(Fixtures.evaluate(forged).rejection == .badSignature(keyID: Fixtures.alice.keyID))
    }

    @Test func everyFlippedSignatureByteIsRejected() throws {
        let signature = try Fixtures.alice.signature(forDocument: Self.base)
        for index in stride(from: 0, to: 64, by: 7) {
            var forged = signature
            forged.signature[index] ^= 0x80
            let bytes = SignedConfig.envelope(document: Self.base, signatures: [forged])
            #expect(Fixtures.evaluate(bytes).rejection == .badSignature(keyID: Fixtures.alice.keyID))
        }
    }

    @Test func descriptionsNameTheReasonAndField() {
        let rejection = ConfigRejection(.outOfSafeRange(field: "detection.threshold"))
        #expect(rejection.description == "out-of-safe-range: detection.threshold")
        #expect(ConfigRejection(.insufficientSignatures(section: "detection", have: 1, need: 2)).description
            == "insufficient-signatures: section detection has 1 of 2 required signatures")
    }
}

/// The fleet's safe ranges come from `SettingRanges`: a document may not ask for more
/// confirmations than an anchor's evidence can carry (the fleet once allowed 1...1000 where the
/// agent takes 1...256, so such a document failed only when applied).
@Suite struct SafeRangeTableTests {
    @Test func confirmationsBeyondTheEvidenceLimitAreUnsafe() {
        let over = ConfigSections(ledger: .init(backend: .evm, confirmations: 257))
        #expect(over.firstUnsafeField() == "ledger.confirmations")
        let within = ConfigSections(ledger: .init(backend: .evm, confirmations: 256))
        #expect(within.firstUnsafeField() == nil)
    }

    @Test func aBatchAboveTheSealingLimitIsUnsafe() {
        let over = ConfigSections(sealing: .init(batchMaxReadings: 100_001, batchMaxAgeMs: 1000, witnessKeys: []))
        #expect(over.firstUnsafeField() == "sealing.batch_max_readings")
    }
}
