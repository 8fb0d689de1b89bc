import Cryptography
import Testing
import Transparency

@Suite("C2SP tlog-cosignature")
struct CosignatureTests {
    struct Fixture {
        let log: NoteSigner
        let witness1: CosignatureSigner
        let witness2: CosignatureSigner
        let checkpoint: Checkpoint

        init() throws {
            log = try NoteSigner(name: "vitalgate.example/gw-1", privateKey: Ed25519.PrivateKey())
            witness1 = try CosignatureSigner(name: "witness.example/w1", privateKey: Ed25519.PrivateKey())
            witness2 = try CosignatureSigner(name: "witness.example/w2", privateKey: Ed25519.PrivateKey())
            checkpoint = try Checkpoint(origin: log.name, size: 5, rootHash: MerkleHasher.leafHash([9]))
        }

        func cosigned(timestamps: (UInt64, UInt64) = (1_679_315_147, 1_679_315_150)) throws -> SignedCheckpoint {
            var signed = try SignedCheckpoint(checkpoint: checkpoint, logSigner: log)
            try signed.addCosignature(by: witness1, timestamp: timestamps.0)
            try signed.addCosignature(by: witness2, timestamp: timestamps.1)
            return signed
        }
    }

    @Test func keyIDUsesSignatureType4() throws {
        let key = Ed25519.PrivateKey()
        let witness = try CosignatureSigner(name: "witness.example/w1", privateKey: key)
        let digest = SHA256.hash(Array("witness.example/w1".utf8) + [0x0A, 0x04] + key.publicKey.rawRepresentation)
        #expect(witness.keyID == digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        #expect(witness.keyID != (try NoteSigner(name: "witness.example/w1", privateKey: key)).keyID)
        // The vkey carries type 0x04 and parses back to a cosignature verifier.
        let vkey = witness.verifierKey
        #expect(vkey.signatureType == 0x04)
        let parsed = try VerifierKey(parsing: vkey.description)
        #expect(parsed == vkey)
        #expect(try parsed.makeVerifier() is CosignatureVerifier)
    }

    @Test func signatureLayoutIsKeyIDTimestampSignature() throws {
        let fixture = try Fixture()
        let line = try fixture.witness1.cosign(fixture.checkpoint, timestamp: 0x0102_0304_0506_0708)
        #expect(line.keyID == fixture.witness1.keyID)
        #expect(line.signature.count == 72)
        #expect(Array(line.signature[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        let message = Array("cosignature/v1\ntime 72623859790382856\n".utf8) + Array(fixture.checkpoint.body.utf8)
        #expect(fixture.witness1.verifier.publicKey.isValidSignature(Array(line.signature[8...]), for: message))
    }

    /// The example in the tlog-cosignature spec: the witness line decodes to key ID,
    /// then the big-endian timestamp 1679315147 that the spec's signed message shows.
    @Test func specExampleLayout() throws {
        let example = """
            example.com/behind-the-sofa
            20852163
            CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

            — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
            — witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==

            """
        let signed = try SignedCheckpoint(parsing: Array(example.utf8))
        #expect(signed.checkpoint.size == 20_852_163)
        let witnessLine = try #require(signed.note.signatures.last)
        #expect(witnessLine.signature.count == Cosignature.signatureByteCount)
        #expect(Cosignature.split(witnessLine.signature)?.timestamp == 1_679_315_147)
    }

    @Test func twoWitnessesVerify() throws {
        let fixture = try Fixture()
        let signed = try fixture.cosigned()
        let verified = try SignedCheckpoint.open(
            signed.serialized, origin: fixture.log.name, logVerifier: fixture.log.verifier,
            witnesses: [fixture.witness1.verifier, fixture.witness2.verifier])
        #expect(verified.cosignatures.map(\.name) == ["witness.example/w1", "witness.example/w2"])
        #expect(verified.cosignatures.map(\.timestamp) == [1_679_315_147, 1_679_315_150])
        #expect(verified.unknownSignatures.isEmpty)
        // Witnesses configured through their vkey strings.
        let fromVkeys = try [fixture.witness1, fixture.witness2].map {
            try VerifierKey(parsing: $0.verifierKey.description).makeVerifier()
        }
        let again = try SignedCheckpoint.open(signed.serialized, origin: fixture.log.name,
                                              logVerifier: fixture.log.verifier, witnesses: fromVkeys)
        #expect(again.cosignatures.count == 2)
    }

    @Test func unknownWitnessIsReportedNotTrusted() throws {
        let fixture = try Fixture()
        let signed = try fixture.cosigned()
        let verified = try SignedCheckpoint.open(signed.serialized, origin: fixture.log.name,
                                                 logVerifier: fixture.log.verifier,
                                                 witnesses: [fixture.witness1.verifier])
        #expect(verified.cosignatures.map(\.name) == ["witness.example/w1"])
        #expect(verified.unknownSignatures.map(\.name) == ["witness.example/w2"])
    }

    @Test func tamperedTimestampFails() throws {
        let fixture = try Fixture()
        let signed = try fixture.cosigned()
        var lines = signed.note.signatures
        let original = lines[1]
        var bytes = original.signature
        bytes[7] ^= 0x01  // last byte of the big-endian timestamp
        lines[1] = try NoteSignature(name: original.name, keyID: original.keyID, signature: bytes)
        let tampered = try Note(text: signed.note.text, signatures: lines)
        do {
            _ = try SignedCheckpoint.open(tampered.serialized, origin: fixture.log.name,
                                          logVerifier: fixture.log.verifier,
                                          witnesses: [fixture.witness1.verifier, fixture.witness2.verifier])
            Issue.record("a cosignature with a changed timestamp verified")
        } catch {
            #expect(error.code == .invalidSignature)
        }
        // A timestamp above 2^63 - 1 is malformed.
        bytes[0] = 0x80
        let verifier = fixture.witness1.verifier
        #expect(!verifier.verify(text: Array(signed.note.text.utf8), signature: bytes))
        #expect(throws: NoteError.self) { try fixture.witness1.cosign(fixture.checkpoint, timestamp: UInt64.max) }
    }

    @Test func witnessAloneIsNotEnough() throws {
        let fixture = try Fixture()
        var note = try Note(text: fixture.checkpoint.body)
        note.append(try fixture.witness1.cosign(fixture.checkpoint, timestamp: 10))
        do {
            _ = try SignedCheckpoint.open(note.serialized, origin: fixture.log.name,
                                          logVerifier: fixture.log.verifier, witnesses: [fixture.witness1.verifier])
            Issue.record("a checkpoint without the log signature verified")
        } catch {
            #expect(error.code == .missingLogSignature)
        }
    }

    @Test func cosignatureCoversExtensionLines() throws {
        let fixture = try Fixture()
        let extended = try Checkpoint(origin: fixture.log.name, size: 5, rootHash: fixture.checkpoint.rootHash,
                                      extensions: ["ext"])
        let line = try fixture.witness1.cosign(extended, timestamp: 42)
        let verifier = fixture.witness1.verifier
        #expect(verifier.verify(text: Array(extended.body.utf8), signature: line.signature))
        #expect(!verifier.verify(text: Array(fixture.checkpoint.body.utf8), signature: line.signature))
    }
}
