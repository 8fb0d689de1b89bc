internal import Cryptography
public import Telemetry
internal import Transparency

/// Verifies a proof bundle offline against pinned keys; needs nothing else.
///
/// Every step runs when its inputs are available, so one report shows every problem:
/// - `commitment`: `SHA-256(salt ‖ canonical) == commitment`; SKIP for erased content (the
///   commitment itself is still proven by the steps below).
/// - `batch-inclusion`: the commitment is leaf `leaf_index` of the batch tree of `size` leaves
///   with the header's root.
/// - `batch-header-signature`: the header encoding is signed by the pinned gateway key (and
///   names the pinned gateway id, if one is pinned).
/// - `log-inclusion`: the header hash is leaf `leaf_index` of the log tree whose size and root
///   come from the verified checkpoint (never from the bundle: proofs do not pin the size).
///   SKIP when the checkpoint did not verify.
/// - `checkpoint-signature`: the checkpoint note has the pinned origin and a valid signature
///   of the pinned log key.
/// - `cosignatures`: at least the required number of pinned witnesses cosigned the checkpoint,
///   and no pinned witness's cosignature is invalid. SKIP when none are required and none are
///   present, or when the checkpoint did not verify.
/// - `anchors`: each entry is checked by the caller's ``AnchorCheck`` against the verified
///   checkpoint's size and root (the ledger backends live outside this module). SKIP when the
///   bundle has no anchors (not yet anchored) or no check is given; FAIL naming the first entry
///   and step that does not verify.
///
/// A single tampered value therefore fails the step that covers it (a changed commitment also
/// moves its Merkle leaf, and a changed header field also changes the log leaf).
public enum BundleVerifier {
    /// Checks one `anchors` entry against the checkpoint's tree size and root; returns `nil`
    /// when it verifies, or the reason (naming the failed step) when it does not.
    public typealias AnchorCheck = @Sendable (_ entry: JSONValue, _ treeSize: UInt64, _ root: [UInt8]) -> String?

    /// Runs every step and returns the report.
    public static func verify(_ bundle: ProofBundle, trust: TrustAnchors, anchorCheck: AnchorCheck? = nil)
        -> VerificationReport {
        let checkpoint = checkpointStep(bundle, trust)
        let steps = [
            commitmentStep(bundle.reading),
            batchInclusionStep(bundle),
            headerSignatureStep(bundle, trust),
            logInclusionStep(bundle, checkpoint.verified),
            checkpoint.step,
            cosignatureStep(checkpoint.verified, trust),
            anchorStep(bundle, checkpoint.verified, anchorCheck),
        ]
        return VerificationReport(steps: steps, erased: bundle.reading.erased, pruned: bundle.reading.pruned,
                                  readingID: bundle.reading.id)
    }

    /// Parses bundle JSON and verifies it.
    /// - Throws: ``SealingError`` `.malformedBundle` or `.unsupportedVersion` when the bundle
    ///   cannot be read at all.
    public static func verify(json: [UInt8], trust: TrustAnchors, anchorCheck: AnchorCheck? = nil) throws(SealingError)
        -> VerificationReport {
        verify(try ProofBundle(json: json), trust: trust, anchorCheck: anchorCheck)
    }

    private typealias Step = VerificationReport.Step

    private static func commitmentStep(_ reading: ProofBundle.ReadingSection) -> Step {
        func result(_ status: VerificationReport.Status, _ reason: String) -> Step {
            Step(name: .commitment, status: status, reason: reason)
        }
        if reading.pruned && !reading.erased {
            guard reading.salt == nil, reading.canonical == nil else {
                return result(.fail, "marked pruned but salt or canonical bytes are present")
            }
            return result(.skip, "pruned: content removed by the gateway's retention, commitment still checked below")
        }
        if reading.erased {
            guard reading.salt == nil, reading.canonical == nil else {
                return result(.fail, "marked erased but salt or canonical bytes are present")
            }
            return result(.skip, "erased: content not verifiable, commitment still checked below")
        }
        guard let salt = reading.salt, let canonical = reading.canonical else {
            return result(.fail, "salt or canonical bytes missing and the reading is not marked erased or pruned")
        }
        guard let commitment = try? Commitment(bytes: reading.commitment) else {
            return result(.fail, "commitment is \(reading.commitment.count) bytes, expected 32")
        }
        guard salt.count == Commitment.saltByteCount else {
            return result(.fail, "salt is \(salt.count) bytes, expected 32")
        }
        guard commitment.matches(salt: salt, canonical: canonical) else {
            return result(.fail, "SHA-256(salt ‖ canonical bytes) differs from the commitment")
        }
        return result(.pass, "SHA-256(salt ‖ canonical bytes) equals the commitment")
    }

    private static func batchInclusionStep(_ bundle: ProofBundle) -> Step {
        let header = bundle.batch.header
        do {
            try MerkleVerifier.verifyInclusion(
                leafHash: MerkleHasher.leafHash(bundle.reading.commitment), leafIndex: bundle.batch.leafIndex,
                treeSize: UInt64(header.size), proof: bundle.batch.auditPath, root: header.root)
            return Step(name: .batchInclusion, status: .pass,
                        reason: "commitment is leaf \(bundle.batch.leafIndex) of \(header.size) under the batch root")
        } catch {
            return Step(name: .batchInclusion, status: .fail, reason: "\(error.code): \(error.reason)")
        }
    }

    private static func headerSignatureStep(_ bundle: ProofBundle, _ trust: TrustAnchors) -> Step {
        let header = bundle.batch.header
        if let pinned = trust.gatewayID, pinned != header.gatewayID {
            return Step(name: .batchHeaderSignature, status: .fail, reason: "header names a gateway other than the pinned one")
        }
        guard bundle.batch.signedHeader.isValid(publicKey: trust.gatewayKey) else {
            return Step(name: .batchHeaderSignature, status: .fail,
                        reason: "signature of batch \(header.sequence) does not verify under the pinned gateway key")
        }
        return Step(name: .batchHeaderSignature, status: .pass,
                    reason: "batch \(header.sequence) of gateway \(header.gatewayID) signed by the pinned key")
    }

    /// A checkpoint whose log signature verified, with its note (for the witness pass).
    private struct CheckedCheckpoint {
        let checkpoint: Checkpoint
        let note: Note
    }

    private static func checkpointStep(_ bundle: ProofBundle, _ trust: TrustAnchors)
        -> (step: Step, verified: CheckedCheckpoint?) {
        func failure(_ reason: String) -> (step: Step, verified: CheckedCheckpoint?) {
            (Step(name: .checkpointSignature, status: .fail, reason: reason), nil)
        }
        guard bundle.log.origin == trust.logOrigin else {
            return failure("bundle names a log origin other than the pinned one")
        }
        let bytes = Array(bundle.log.checkpoint.utf8)
        do {
            // Only the log key: witness lines are ignored here and checked in `cosignatures`.
            let verified = try SignedCheckpoint.open(bytes, origin: trust.logOrigin,
                                                     logVerifier: try trust.logKey.makeVerifier())
            let note = try SignedCheckpoint(parsing: bytes).note
            let step = Step(name: .checkpointSignature, status: .pass,
                            reason: "checkpoint of size \(verified.checkpoint.size) signed by log key \(trust.logKey.name)")
            return (step, CheckedCheckpoint(checkpoint: verified.checkpoint, note: note))
        } catch {
            return failure("\(error.code): \(error.reason)")
        }
    }

    private static let needsCheckpoint = "not checked: needs a verified checkpoint (see checkpoint-signature)"

    private static func logInclusionStep(_ bundle: ProofBundle, _ verified: CheckedCheckpoint?) -> Step {
        guard let checkpoint = verified?.checkpoint else {
            return Step(name: .logInclusion, status: .skip, reason: needsCheckpoint)
        }
        guard bundle.log.treeSize == checkpoint.size else {
            return Step(name: .logInclusion, status: .fail,
                        reason: "bundle tree size \(bundle.log.treeSize) is not the checkpoint's \(checkpoint.size)")
        }
        do {
            try MerkleVerifier.verifyInclusion(
                leafHash: MerkleHasher.leafHash(bundle.batch.header.hash), leafIndex: bundle.log.leafIndex,
                treeSize: checkpoint.size, proof: bundle.log.inclusionPath, root: checkpoint.rootHash)
            return Step(name: .logInclusion, status: .pass,
                        reason: "batch header hash is log leaf \(bundle.log.leafIndex) of \(checkpoint.size)")
        } catch {
            return Step(name: .logInclusion, status: .fail, reason: "\(error.code): \(error.reason)")
        }
    }

    private static func cosignatureStep(_ verified: CheckedCheckpoint?, _ trust: TrustAnchors) -> Step {
        func result(_ status: VerificationReport.Status, _ reason: String) -> Step {
            Step(name: .cosignatures, status: status, reason: reason)
        }
        guard let verified else { return result(.skip, needsCheckpoint) }
        let required = trust.minimumCosignatures
        if trust.witnessKeys.isEmpty { return result(.skip, "no witnesses pinned, none required") }
        let count: Int
        do {
            let witnesses = try trust.witnessKeys.map { (key) throws(NoteError) in try key.makeVerifier() }
            count = try NoteVerifierSet(witnesses).verify(verified.note).verifiedSignatures.count
        } catch where error.code == .noKnownSignature {
            count = 0
        } catch {
            return result(.fail, "\(error.code): \(error.reason)")
        }
        let pinned = trust.witnessKeys.count
        guard count >= required else {
            return result(.fail, "\(count) of \(pinned) pinned witnesses cosigned, \(required) required")
        }
        if count == 0 { return result(.skip, "no cosignatures present, none required") }
        return result(.pass, "\(count) of \(pinned) pinned witnesses cosigned, \(required) required")
    }

    private static func anchorStep(_ bundle: ProofBundle, _ verified: CheckedCheckpoint?, _ check: AnchorCheck?) -> Step {
        if bundle.anchors.isEmpty {
            return Step(name: .anchors, status: .skip, reason: "no anchors in the bundle (not yet anchored)")
        }
        guard let check else {
            return Step(name: .anchors, status: .skip, reason: "\(bundle.anchors.count) anchor(s) present, no ledger trust given")
        }
        guard let checkpoint = verified?.checkpoint else { return Step(name: .anchors, status: .skip, reason: needsCheckpoint) }
        for (index, entry) in bundle.anchors.enumerated() {
            if let failure = check(entry, checkpoint.size, checkpoint.rootHash) {
                return Step(name: .anchors, status: .fail, reason: "anchor \(index): \(failure)")
            }
        }
        let kinds = bundle.anchors.compactMap { $0["type"]?.stringValue }.joined(separator: ", ")
        return Step(name: .anchors, status: .pass,
                    reason: "\(bundle.anchors.count) anchor(s) of the checkpoint (size \(checkpoint.size)) verify: \(kinds)")
    }
}
