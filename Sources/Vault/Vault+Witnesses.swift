import Cryptography
import Sealing
import SQLite
import Telemetry
public import Transparency

extension Vault {
    /// Accepts a checkpoint cosigned by witnesses (C2SP tlog-cosignature) and stores the
    /// cosignatures with the checkpoint, so later proof bundles carry them.
    ///
    /// Rejected, with nothing stored: a note whose log signature or origin is wrong, a checkpoint
    /// this log never signed, a cosignature from a key not in `witnesses`, or no cosignature at all.
    /// - Returns: the checkpoint size and the names of the witnesses whose cosignatures were added.
    @discardableResult
    public func acceptCosignedCheckpoint(_ bytes: [UInt8], witnesses: [VerifierKey], gatewayID: String)
        throws(VaultError) -> (size: UInt64, witnesses: [String]) {
        let origin = (sealingLog.configuration ?? SealingConfiguration(gatewayID: gatewayID)).origin
        let submitted: Note
        let verified: VerifiedCheckpoint
        do {
            let logVerifier = try NoteSigner(name: origin, privateKey: try Self.logKey(from: keys.signingKeySeed)).verifier
            verified = try SignedCheckpoint.open(bytes, origin: origin, logVerifier: logVerifier,
                                                 witnesses: try witnesses.map { try $0.makeVerifier() })
            submitted = try Note(parsing: bytes)
        } catch {
            throw VaultError(.rejected, "cosigned checkpoint does not verify against this log and its pinned witnesses",
                             underlying: error)
        }
        guard verified.unknownSignatures.isEmpty else {
            throw VaultError(.rejected, "cosignature from a key that is not a pinned witness")
        }
        guard !verified.cosignatures.isEmpty else { throw VaultError(.rejected, "no cosignature from a pinned witness") }
        let size = verified.checkpoint.size
        let stored = try read {
            try db.query("SELECT note FROM checkpoints WHERE size = ?", [.integer(Int64(size))]).first?.first?.textValue
        }
        guard let stored, var note = try? Note(parsing: stored), note.text == submitted.text else {
            throw VaultError(.rejected, "this log never signed a checkpoint of size \(size) with that root")
        }
        var added: [String] = []
        for signature in submitted.signatures
        where !note.signatures.contains(signature)
            && verified.cosignatures.contains(where: { $0.keyID == signature.keyID && $0.name == signature.name }) {
            note.append(signature)
            added.append(signature.name)
        }
        let text = note.serializedString
        try write {
            try db.cached("UPDATE checkpoints SET note = ? WHERE size = ?").run(.text(text), .integer(Int64(size)))
        }
        sealingLog.checkpointCosigned(size: size, note: text)
        return (size, added)
    }
}
