import Cryptography
import Foundation
import Telemetry
import Testing
import Transparency
import VitalGateTesting

@Suite("C2SP signed notes")
struct SignedNoteTests {
    static let noteBytes: [UInt8] = {
        (try? [UInt8](VectorFiles.data("signed-note/example.note"))) ?? []
    }()
    static let vkey: String = {
        let text = (try? String(decoding: VectorFiles.data("signed-note/example.vkey"), as: UTF8.self)) ?? ""
        return text.trimmingCharacters(in: .newlines)
    }()

    static func exampleVerifiers() throws(NoteError) -> NoteVerifierSet {
        try NoteVerifierSet([VerifierKey(parsing: vkey).makeVerifier()])
    }

    static func opens(_ bytes: [UInt8], _ verifiers: NoteVerifierSet) -> Bool {
        (try? verifiers.open(bytes)) != nil
    }

    @Test func exampleVerifies() throws {
        let verified = try Self.exampleVerifiers().open(Self.noteBytes)
        #expect(verified.text == "This is an example message.\n")
        #expect(verified.verifiedSignatures.map(\.signature.name) == ["example.com/foo"])
        #expect(verified.verifiedSignatures.first?.signature.keyID == 0x530d_903a)
        #expect(verified.unknownSignatures.isEmpty)
        // Serialising the parsed note gives back the same bytes.
        #expect(try Note(parsing: Self.noteBytes).serialized == Self.noteBytes)
    }

    @Test func exampleVerifierKey() throws {
        let key = try VerifierKey(parsing: Self.vkey)
        #expect(key.name == "example.com/foo")
        #expect(key.keyID == 0x530d_903a)
        #expect(key.signatureType == 0x01)
        #expect(key.description == Self.vkey)
        let expectedID = SHA256.hash(Array("example.com/foo".utf8) + [0x0A, 0x01] + key.publicKey)[0..<4]
        #expect(Array(expectedID) == [0x53, 0x0d, 0x90, 0x3a])
    }

    /// Any single changed byte anywhere in the note (text, separator, signature line) is
    /// rejected, for several kinds of change per position.
    @Test func everyByteChangeOfTheExampleIsRejected() throws {
        let verifiers = try Self.exampleVerifiers()
        var checked = 0
        for position in Self.noteBytes.indices {
            let original = Self.noteBytes[position]
            for replacement in Set([original ^ 0x01, original ^ 0x20, original ^ 0x80, UInt8(ascii: "A"),
                                    UInt8(ascii: "/"), UInt8(ascii: " ")]) where replacement != original {
                var mutated = Self.noteBytes
                mutated[position] = replacement
                #expect(!Self.opens(mutated, verifiers), "byte \(position) changed to \(replacement)")
                checked += 1
            }
        }
        #expect(checked > 5 * Self.noteBytes.count)
    }

    /// Every bit of the decoded key ID and signature, re-encoded as canonical base64.
    @Test func everySignatureBitChangeIsRejected() throws {
        let verifiers = try Self.exampleVerifiers()
        let note = try Note(parsing: Self.noteBytes)
        let signature = try #require(note.signatures.first)
        for bit in 0..<(64 * 8) {
            let changed = try NoteSignature(name: signature.name, keyID: signature.keyID,
                                            signature: signature.signature.flippingBit(bit))
            #expect(throws: NoteError.self) { try verifiers.verify(Note(text: note.text, signatures: [changed])) }
        }
        for bit in 0..<32 {
            let changed = try NoteSignature(name: signature.name, keyID: signature.keyID ^ (1 << UInt32(bit)),
                                            signature: signature.signature)
            #expect(throws: NoteError.self) { try verifiers.verify(Note(text: note.text, signatures: [changed])) }
        }
        // Every byte of the text, keeping the note well formed.
        let text = Array(note.text.utf8)
        for position in text.indices.dropLast() {
            var changed = text
            changed[position] = changed[position] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
            let mutated = try Note(text: String(decoding: changed, as: UTF8.self), signatures: note.signatures)
            #expect(throws: NoteError.self) { try verifiers.verify(mutated) }
        }
    }

    /// Every truncation, and random garbage, is rejected without trapping.
    @Test func truncationsAndGarbageAreRejected() throws {
        let verifiers = try Self.exampleVerifiers()
        for length in 0..<Self.noteBytes.count {
            #expect(!Self.opens(Array(Self.noteBytes[0..<length]), verifiers), "prefix of \(length) bytes")
        }
        var random = SplitMix64(seed: 77)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...200, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if Bool.random(using: &random) {
                bytes = Array(Self.noteBytes.prefix(40)) + bytes + Array(Self.noteBytes.suffix(40))
            }
            #expect(!Self.opens(bytes, verifiers))
            _ = try? Checkpoint(parsing: String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func unknownSignaturesAreIgnoredAndReported() throws {
        let other = try NoteSigner(name: "other.example/key", privateKey: Ed25519.PrivateKey())
        var note = try Note(parsing: Self.noteBytes)
        note = try other.sign(note)
        let verified = try Self.exampleVerifiers().verify(note)
        #expect(verified.verifiedSignatures.count == 1)
        #expect(verified.unknownSignatures.map(\.name) == ["other.example/key"])
        // Same name, different key: still unknown (name and ID must both match).
        let impostor = try NoteSigner(name: "example.com/foo", privateKey: Ed25519.PrivateKey())
        let onlyImpostor = try impostor.sign(Note(text: note.text))
        do {
            _ = try Self.exampleVerifiers().verify(onlyImpostor)
            Issue.record("a note signed only by an unknown key verified")
        } catch {
            #expect(error.code == .noKnownSignature)
        }
    }

    @Test func aFailingKnownSignatureRejectsTheNote() throws {
        let signer = try NoteSigner(name: "log.example/a", privateKey: Ed25519.PrivateKey())
        let good = try signer.sign(text: "hello\n")
        let bad = try NoteSignature(name: good.name, keyID: good.keyID, signature: good.signature.flippingBit(3))
        let verifiers = try NoteVerifierSet([signer.verifier])
        #expect(throws: NoteError.self) { try verifiers.verify(Note(text: "hello\n", signatures: [good, bad])) }
        let verified = try verifiers.verify(Note(text: "hello\n", signatures: [good, good]))
        #expect(verified.verifiedSignatures.count == 1)
    }

    @Test func signerRoundTripThroughVerifierKey() throws {
        // Several keys, so some base64 keys contain '+' (legal in a vkey's last field).
        for _ in 0..<20 {
            let signer = try NoteSigner(name: "k.example/\(UInt8.random(in: 0...255))", privateKey: Ed25519.PrivateKey())
            let parsed = try VerifierKey(parsing: signer.verifierKey.description)
            #expect(parsed == signer.verifierKey)
        }
        let signer = try NoteSigner(name: "vitalgate.example/log", privateKey: Ed25519.PrivateKey())
        let note = try signer.sign(Note(text: "line one\n\nline three after an empty line\n"))
        let vkey = signer.verifierKey.description
        let verifiers = try NoteVerifierSet([VerifierKey(parsing: vkey).makeVerifier()])
        let verified = try verifiers.open(note.serialized)
        #expect(verified.text == "line one\n\nline three after an empty line\n")
        #expect(try Note(parsing: note.serialized) == note)
    }

    @Test(arguments: [
        "text\n\n",                                                    // no signature lines
        "text\n— example.com/foo AAAAAAE=\n",                          // no blank line
        "text\n\n— example.com/foo AAAAAAE=",                          // no final newline
        "text\n\n—  AAAAAAE=\n",                                       // empty name
        "text\n\n— a+b AAAAAAE=\n",                                    // '+' in name
        "text\n\n— example.com/foo AAAAAAE=\nextra line\n",            // extra line after signatures
        "text\n\n— example.com/foo AAAAAAE=\n\n",                      // trailing blank line
        "text\n\n— example.com/foo AAAAAA==\n",                        // signature too short
        "text\n\n— example.com/foo AAAAAAF=\n",                        // non-canonical base64
        "text\n\n— example.com/foo AAAAAAE\n",                         // missing padding
        "text\n\n— example.com/foo  AAAAAAE=\n",                       // double space
        "text\n\n-- example.com/foo AAAAAAE=\n",                       // ASCII dashes
        "te\u{7}xt\n\n— example.com/foo AAAAAAE=\n",                   // control character
        "text\r\n\n— example.com/foo AAAAAAE=\n",                      // carriage return
    ])
    func malformedNotesAreRejected(_ text: String) {
        #expect(throws: NoteError.self) { try Note(parsing: text) }
    }

    @Test func limitsAreEnforced() throws {
        let line = "— example.com/foo AAAAAAE=\n"
        let sixteen = "text\n\n" + String(repeating: line, count: 16)
        #expect(try Note(parsing: sixteen).signatures.count == 16)
        let hundred = "text\n\n" + String(repeating: line, count: 100)
        #expect(try Note(parsing: hundred).signatures.count == 100)
        #expect(throws: NoteError.self) { try Note(parsing: "text\n\n" + String(repeating: line, count: 101)) }
        let huge = String(repeating: "a", count: Note.maximumByteCount) + "\n\n" + line
        #expect(throws: NoteError.self) { try Note(parsing: huge) }
        #expect(throws: NoteError.self) { try Note(text: "no newline") }
        #expect(throws: NoteError.self) { try Note(text: "") }
    }

    @Test(arguments: [
        "example.com/foo+530d903a",                                                      // two fields
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",          // wrong key ID
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",           // short key ID
        "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",          // other name
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",          // type 0x02
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",           // bad base64
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",                         // empty name
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+",         // '+' after the key
    ])
    func malformedVerifierKeysAreRejected(_ vkey: String) {
        #expect(throws: NoteError.self) { try VerifierKey(parsing: vkey) }
    }
}
