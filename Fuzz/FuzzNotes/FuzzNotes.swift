import Cryptography
import FuzzSupport
import Transparency

/// C2SP signed notes, checkpoints and cosignatures, as `checkpoint-cosigned` and `verify` read
/// them: every input is opened as a note against a set of known keys, as a signed checkpoint of
/// a pinned log with a pinned witness, and (as text) parsed as a checkpoint body and as a
/// verifier key.
///
/// Oracles: a checkpoint that opens is signed by the log key; a parsed checkpoint body
/// re-serialises to the same text.
func fuzzNotes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    _ = try? NotesFixture.verifiers.open(input)
    if let verified = try? SignedCheckpoint.open(input, origin: NotesFixture.origin, logVerifier: NotesFixture.log.verifier,
                                                  witnesses: [NotesFixture.witness.verifier]) {
        _ = verified.cosignatures.map(\.timestamp)
    }
    guard let text = String(validating: input, as: UTF8.self) else { return 0 }
    if let checkpoint = try? Checkpoint(parsing: text), checkpoint.body != text {
        finding("a checkpoint body does not re-serialise to its text")
    }
    if let key = try? VerifierKey(parsing: text) { _ = try? key.makeVerifier() }
    return 0
}

/// A log and a witness (test keys from fixed seeds; they sign nothing outside tests), the
/// C2SP signed-note example key, and seeds signed by them.
enum NotesFixture {
    static let origin = "vitalgate.gateway/fuzz-gw"

    static func key(_ seed: UInt8) -> Ed25519.PrivateKey {
        do { return try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)) } catch {
            finding("cannot make a test key: \(error)")
        }
    }

    static let log: NoteSigner = {
        do { return try NoteSigner(name: origin, privateKey: key(5)) } catch { finding("log key: \(error)") }
    }()

    static let witness: CosignatureSigner = {
        do { return try CosignatureSigner(name: "witness.example", privateKey: key(7)) } catch { finding("witness key: \(error)") }
    }()

    /// The log, the witness, and the key of c2sp.org/signed-note's example.
    static let verifiers: NoteVerifierSet = {
        do {
            let example = try VerifierKey(parsing: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
            return try NoteVerifierSet([log.verifier, witness.verifier, try example.makeVerifier()])
        } catch {
            finding("verifier set: \(error)")
        }
    }()

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        do {
            let checkpoint = try Checkpoint(origin: origin, size: 7, rootHash: [UInt8](repeating: 0x5A, count: 32))
            var signed = try SignedCheckpoint(checkpoint: checkpoint, logSigner: log)
            let plain = signed.serialized
            try signed.addCosignature(by: witness, timestamp: 1_800_000_000)
            let extended = try Checkpoint(origin: origin, size: 1 << 40, rootHash: [UInt8](repeating: 1, count: 32),
                                          extensions: ["ext one", "ext two"])
            return [
                ("checkpoint.note", plain),
                ("checkpoint-cosigned.note", signed.serialized),
                ("checkpoint-extensions.note", try SignedCheckpoint(checkpoint: extended, logSigner: log).serialized),
                ("log.vkey", Array(log.verifier.verifierKey.description.utf8)),
                ("witness.vkey", Array(witness.verifierKey.description.utf8)),
            ]
        } catch {
            finding("cannot build the note seeds: \(error)")
        }
    }
}
