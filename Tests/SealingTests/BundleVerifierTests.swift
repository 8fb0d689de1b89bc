import Cryptography
import Sealing
import Telemetry
import Testing
import Transparency

typealias StepName = VerificationReport.StepName

/// One tampering of a good bundle or of the pinned trust, and the steps it must fail.
enum Tamper: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case commitmentByte, saltByte, canonicalByte, auditPathByte, batchLeafIndex
    case headerGateway, headerSequence, headerFirstReceived, headerLastReceived, headerSize, headerRoot
    case headerPreviousHash, headerConfigVersion, headerSignatureByte
    case logPathByte, logLeafIndex, logTreeSize, logOrigin
    case checkpointRootLine, checkpointLogSignature, checkpointWitnessSignature
    case wrongGatewayKey, wrongGatewayID, wrongLogKey, wrongLogOrigin, wrongWitnessKeys, missingCosignature
    case falselyErased

    var testDescription: String { rawValue }

    var expectedFailures: Set<StepName> {
        switch self {
        case .commitmentByte: [.commitment, .batchInclusion]
        case .saltByte, .canonicalByte, .falselyErased: [.commitment]
        case .auditPathByte, .batchLeafIndex: [.batchInclusion]
        case .headerGateway, .headerSequence, .headerFirstReceived, .headerLastReceived, .headerPreviousHash,
             .headerConfigVersion: [.batchHeaderSignature, .logInclusion]
        case .headerSize, .headerRoot: [.batchInclusion, .batchHeaderSignature, .logInclusion]
        case .headerSignatureByte, .wrongGatewayKey, .wrongGatewayID: [.batchHeaderSignature]
        case .logPathByte, .logLeafIndex, .logTreeSize: [.logInclusion]
        case .logOrigin, .checkpointRootLine, .checkpointLogSignature, .wrongLogKey, .wrongLogOrigin:
            [.checkpointSignature]
        case .checkpointWitnessSignature, .wrongWitnessKeys, .missingCosignature: [.cosignatures]
        }
    }

    /// Steps that cannot run once the checkpoint fails: reported as SKIP.
    var expectedSkips: Set<StepName> {
        expectedFailures.contains(.checkpointSignature) ? [.logInclusion, .cosignatures, .anchors] : [.anchors]
    }

    /// Whether the tampered bundle still parses from JSON (erasure flags are checked by the parser).
    var survivesJSON: Bool { self != .falselyErased }
}

@Suite("BundleVerifier")
struct BundleVerifierTests {
    /// Reading 5 of 10 with batches of 4: batch 1, leaf 1; log of 3 header hashes, leaf 1.
    static let readingID: UInt64 = 5

    static func header(_ h: BatchHeader, gateway: String? = nil, sequence: UInt64? = nil, first: Int64? = nil,
                       last: Int64? = nil, size: UInt32? = nil, root: [UInt8]? = nil, previous: [UInt8]? = nil,
                       config: String? = nil) throws -> BatchHeader {
        try BatchHeader(gatewayID: gateway ?? h.gatewayID, sequence: sequence ?? h.sequence,
                        firstReceivedAt: first ?? h.firstReceivedAt, lastReceivedAt: last ?? h.lastReceivedAt,
                        size: size ?? h.size, root: root ?? h.root, previousHash: previous ?? h.previousHash,
                        configVersion: config ?? h.configVersion)
    }

    /// Replaces one character of line `line` (0-based) of the checkpoint note at `column` by a
    /// different base64 letter, keeping the note well formed.
    static func replaceCharacter(in note: String, line: Int, column: Int) -> String {
        var lines = note.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let old = lines[line][column]
        lines[line][column] = old == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        return lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    static func apply(_ tamper: Tamper, to bundle: inout ProofBundle, trust: inout TrustAnchors, fixture: Fixture) throws {
        let h = bundle.batch.header
        let other = Ed25519.PrivateKey()
        let lines = bundle.log.checkpoint.split(separator: "\n", omittingEmptySubsequences: false)
        let logLine = try #require(lines.firstIndex { $0.hasPrefix("— \(Fixture.origin) ") })
        let witnessLine = try #require(lines.firstIndex { $0.hasPrefix("— witness-0 ") })
        switch tamper {
        case .commitmentByte: bundle.reading.commitment = bundle.reading.commitment.flipping(7)
        case .saltByte: bundle.reading.salt = bundle.reading.salt?.flipping(0)
        case .canonicalByte: bundle.reading.canonical = bundle.reading.canonical?.flipping(20, mask: 0x02)
        case .auditPathByte: bundle.batch.auditPath[1] = bundle.batch.auditPath[1].flipping(31)
        case .batchLeafIndex: bundle.batch.leafIndex += 1
        case .headerGateway: bundle.batch.header = try header(h, gateway: "bedside-8")
        case .headerSequence: bundle.batch.header = try header(h, sequence: h.sequence + 1)
        case .headerFirstReceived: bundle.batch.header = try header(h, first: h.firstReceivedAt - 1)
        case .headerLastReceived: bundle.batch.header = try header(h, last: h.lastReceivedAt + 1)
        case .headerSize: bundle.batch.header = try header(h, size: UInt32(bundle.batch.leafIndex))
        case .headerRoot: bundle.batch.header = try header(h, root: h.root.flipping(0))
        case .headerPreviousHash: bundle.batch.header = try header(h, previous: h.previousHash.flipping(31))
        case .headerConfigVersion: bundle.batch.header = try header(h, config: h.configVersion + "x")
        case .headerSignatureByte: bundle.batch.signature = bundle.batch.signature.flipping(63, mask: 0x10)
        case .logPathByte: bundle.log.inclusionPath[0] = bundle.log.inclusionPath[0].flipping(3)
        case .logLeafIndex: bundle.log.leafIndex += 1
        case .logTreeSize: bundle.log.treeSize += 1
        case .logOrigin: bundle.log.origin += ".evil"
        case .checkpointRootLine: bundle.log.checkpoint = replaceCharacter(in: bundle.log.checkpoint, line: 2, column: 5)
        case .checkpointLogSignature:
            bundle.log.checkpoint = replaceCharacter(in: bundle.log.checkpoint, line: logLine, column: lines[logLine].utf8.count - 10)
        case .checkpointWitnessSignature:
            bundle.log.checkpoint = replaceCharacter(in: bundle.log.checkpoint, line: witnessLine,
                                                     column: lines[witnessLine].utf8.count - 10)
        case .wrongGatewayKey: trust = try fixture.trust(gatewayKey: other.publicKey)
        case .wrongGatewayID:
            trust = try TrustAnchors(gatewayKey: trust.gatewayKey, gatewayID: "bedside-8", logOrigin: trust.logOrigin,
                                     logKey: trust.logKey, witnessKeys: trust.witnessKeys, minimumCosignatures: 2)
        case .wrongLogKey: trust = try fixture.trust(logKey: try NoteSigner(name: Fixture.origin, privateKey: other).verifierKey)
        case .wrongLogOrigin: trust = try fixture.trust(origin: Fixture.origin + ".evil")
        case .wrongWitnessKeys:
            trust = try fixture.trust(witnessKeys: try (0..<2).map {
                try CosignatureSigner(name: "witness-\($0)", privateKey: Ed25519.PrivateKey()).verifierKey
            })
        case .missingCosignature:
            // Drop witness-1's line: one valid cosignature, two required.
            bundle.log.checkpoint = lines.filter { !$0.hasPrefix("— witness-1 ") }.joined(separator: "\n")
        case .falselyErased: bundle.reading.erased = true
        }
    }

    @Test("a good bundle verifies, through JSON, with every step passing or skipped as expected")
    func happyPath() throws {
        let fixture = try Fixture()
        let bundle = try fixture.ledger.bundle(forReading: Self.readingID)
        #expect(bundle.batch.header.sequence == 1)
        #expect(bundle.batch.leafIndex == 1)
        #expect(bundle.log.leafIndex == 1)
        #expect(bundle.log.treeSize == 3)
        let parsed = try ProofBundle(json: bundle.json)
        #expect(parsed == bundle)
        let report = BundleVerifier.verify(parsed, trust: try fixture.trust())
        #expect(report.passed)
        #expect(report.steps.map(\.name) == StepName.allCases)
        #expect(report.steps.filter { $0.status == .pass }.map(\.name)
            == [.commitment, .batchInclusion, .batchHeaderSignature, .logInclusion, .checkpointSignature, .cosignatures])
        #expect(report.step(.anchors)?.status == .skip)
        #expect(report.firstFailure == nil)
        #expect(!report.erased)
        let canonical = String(decoding: Fixture.reading(Int(Self.readingID)).canonicalBytes, as: UTF8.self)
        #expect(!report.text.contains(canonical))
        #expect(report.text.hasSuffix("OK: reading 5 verifies\n"))
    }

    @Test("every tampering fails exactly its steps", arguments: Tamper.allCases)
    func tampering(_ tamper: Tamper) throws {
        let fixture = try Fixture()
        var bundle = try fixture.ledger.bundle(forReading: Self.readingID)
        var trust = try fixture.trust()
        try Self.apply(tamper, to: &bundle, trust: &trust, fixture: fixture)
        if tamper.survivesJSON {
            bundle = try ProofBundle(json: bundle.json)
        }
        let report = BundleVerifier.verify(bundle, trust: trust)
        #expect(!report.passed)
        #expect(Set(report.failedSteps) == tamper.expectedFailures, "\(report.text)")
        let skipped = Set(report.steps.filter { $0.status == .skip }.map(\.name))
        #expect(skipped == tamper.expectedSkips, "\(report.text)")
        let first = try #require(report.firstFailure)
        #expect(first.name == StepName.allCases.first { tamper.expectedFailures.contains($0) })
        #expect(report.text.contains("first failed step: \(first.name.rawValue)"))
        let json = try JSONParser().parse(report.json)
        #expect(json["result"] == .string("fail"))
        #expect(json["first_failed_step"] == .string(first.name.rawValue))
    }

    @Test("flipping any byte of the checkpoint note fails the checkpoint or cosignature step, nothing else")
    func everyCheckpointByte() throws {
        let fixture = try Fixture()
        let bundle = try fixture.ledger.bundle(forReading: Self.readingID)
        let trust = try fixture.trust()
        let note = Array(bundle.log.checkpoint.utf8)
        let marker = Array("\n— witness-0 ".utf8)
        let witnessOffset = try #require(note.indices.first { Array(note[$0...].prefix(marker.count)) == marker }) + 1
        for position in note.indices {
            var tampered = bundle
            tampered.log.checkpoint = String(decoding: note.flipping(position), as: UTF8.self)
            let report = BundleVerifier.verify(tampered, trust: trust)
            #expect(report.failedSteps.count == 1, "byte \(position): \(report.text)")
            let failed = report.failedSteps.first
            #expect(failed == .checkpointSignature || failed == .cosignatures, "byte \(position)")
            if position < witnessOffset { #expect(failed == .checkpointSignature, "byte \(position)") }
            for name in [StepName.commitment, .batchInclusion, .batchHeaderSignature] {
                #expect(report.step(name)?.status == .pass)
            }
        }
    }

    @Test("an erased reading's bundle still proves its commitment and says the content is erased")
    func erased() throws {
        var fixture = try Fixture()
        try fixture.ledger.erase(readingID: Self.readingID)
        let bundle = try fixture.ledger.bundle(forReading: Self.readingID)
        #expect(bundle.reading.erased && bundle.reading.salt == nil && bundle.reading.canonical == nil)
        let text = String(decoding: bundle.json, as: UTF8.self)
        #expect(!text.contains("\"salt\"") && !text.contains("\"canonical\""))
        let report = BundleVerifier.verify(try ProofBundle(json: bundle.json), trust: try fixture.trust())
        #expect(report.passed)
        #expect(report.erased)
        #expect(report.step(.commitment)?.status == .skip)
        #expect(report.step(.commitment)?.reason == "erased: content not verifiable, commitment still checked below")
        #expect(report.step(.batchInclusion)?.status == .pass)
        #expect(report.step(.logInclusion)?.status == .pass)
        #expect(report.text.contains("(content erased)"))
        // The erased commitment is still bound: changing it fails the batch path.
        var forged = bundle
        forged.reading.commitment = forged.reading.commitment.flipping(0)
        #expect(BundleVerifier.verify(forged, trust: try fixture.trust()).failedSteps == [.batchInclusion])
        // Other readings keep their content.
        let neighbour = BundleVerifier.verify(try fixture.ledger.bundle(forReading: 4), trust: try fixture.trust())
        #expect(neighbour.passed && !neighbour.erased)
    }

    @Test("cosignature policy: none pinned, none required, quorum")
    func cosignaturePolicy() throws {
        let plain = try Fixture(cosign: false)
        let bundle = try plain.ledger.bundle(forReading: 0)
        let noWitnesses = try TrustAnchors(gatewayKey: plain.identityKey.publicKey, logOrigin: Fixture.origin,
                                           logKey: plain.logSigner.verifierKey)
        let report = BundleVerifier.verify(bundle, trust: noWitnesses)
        #expect(report.passed)
        #expect(report.step(.cosignatures)?.status == .skip)
        #expect(BundleVerifier.verify(bundle, trust: try plain.trust(minimumCosignatures: 0)).step(.cosignatures)?.status
            == .skip)
        #expect(BundleVerifier.verify(bundle, trust: try plain.trust(minimumCosignatures: 1)).failedSteps == [.cosignatures])
        let cosigned = try Fixture()
        let one = BundleVerifier.verify(try cosigned.ledger.bundle(forReading: 0), trust: try cosigned.trust(minimumCosignatures: 1))
        #expect(one.step(.cosignatures)?.status == .pass)
        #expect(one.step(.cosignatures)?.reason == "2 of 2 pinned witnesses cosigned, 1 required")
    }

    @Test("anchors are kept opaque and reported as skipped")
    func anchors() throws {
        let fixture = try Fixture()
        var bundle = try fixture.ledger.bundle(forReading: 1)
        bundle.anchors = [.object([("type", .string("evm-receipt-log")), ("chain_id", .number(1337))])]
        let parsed = try ProofBundle(json: bundle.json)
        #expect(JSONWriter.canonicalBytes(.array(parsed.anchors)) == JSONWriter.canonicalBytes(.array(bundle.anchors)))
        let report = BundleVerifier.verify(parsed, trust: try fixture.trust())
        #expect(report.passed)
        #expect(report.step(.anchors)?.status == .skip)
        #expect(report.step(.anchors)?.reason.contains("1 anchor(s) present") == true)
    }

    @Test("report renders one line per step and JSON")
    func rendering() throws {
        let fixture = try Fixture()
        var bundle = try fixture.ledger.bundle(forReading: 2)
        bundle.batch.auditPath[0] = bundle.batch.auditPath[0].flipping(0)
        let report = BundleVerifier.verify(bundle, trust: try fixture.trust())
        let lines = report.text.split(separator: "\n")
        #expect(lines.count == StepName.allCases.count + 1)
        #expect(lines[0].hasPrefix("PASS  commitment "))
        #expect(lines[1].hasPrefix("FAIL  batch-inclusion "))
        #expect(lines[6].hasPrefix("SKIP  anchors "))
        #expect(lines[7] == "FAIL: reading 2 does not verify; first failed step: batch-inclusion")
        let json = try JSONParser().parse(report.json)
        #expect(json["result"] == .string("fail"))
        #expect(json["erased"] == .bool(false))
        #expect(json["steps"]?.arrayValue?.count == 7)
        #expect(json["steps"]?.arrayValue?[1]["status"] == .string("fail"))
        #expect(json["steps"]?.arrayValue?[1]["name"] == .string("batch-inclusion"))
    }
}
