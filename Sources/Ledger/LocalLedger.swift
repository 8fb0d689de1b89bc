internal import Cryptography
import Telemetry
public import Transparency

/// The `local` backend: the embedded log is the ledger. A checkpoint the log key signed is
/// anchored as soon as it is submitted; the evidence (`local-checkpoint`) is the signed note
/// itself, which an auditor checks against the pinned log key.
public struct LocalLedger: LedgerBackend {
    public let name = "local"

    /// Creates the backend.
    public init() {}

    public func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
        guard !request.signedNote.isEmpty else {
            throw LedgerError(code: .invalidRequest, reason: "the local ledger anchors signed checkpoints; the note is missing")
        }
        return AnchorTicket(backend: name, state: request.signedNote, submittedAt: 0)
    }

    public func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
        guard ticket.backend == name, ticket.state == request.signedNote else {
            return .resubmit(reason: "the ticket is not this checkpoint's")
        }
        let body = JSONWriter.canonicalBytes(.object([("checkpoint", .string(String(decoding: ticket.state, as: UTF8.self)))]))
        return .anchored(AnchorEvidence(type: LocalEvidenceVerifier.evidenceType, treeSize: request.treeSize,
                                        rootHash: request.rootHash, locator: Self.locator(origin: request.origin), body: body))
    }

    /// The locator of `local-checkpoint` evidence for the log `origin` (informational; `audit`
    /// holds stored evidence to it).
    public static func locator(origin: String) -> String { "embedded log \(origin)" }
}

/// Checks `local-checkpoint` evidence: the note parses as a checkpoint of the pinned origin,
/// carries a valid signature of the pinned log key, and states the expected size and root.
public struct LocalEvidenceVerifier: AnchorEvidenceVerifier {
    /// The evidence type this verifier checks.
    public static let evidenceType = "local-checkpoint"
    public var evidenceTypes: [String] { [Self.evidenceType] }
    private let logKey: VerifierKey

    /// Creates a verifier pinning the log's C2SP verifier key.
    public init(logKey: VerifierKey) { self.logKey = logKey }

    public func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) {
        func fail(_ step: String, _ reason: String) -> LedgerError {
            LedgerError(code: .invalidEvidence, reason: reason, step: step)
        }
        guard evidence.type == Self.evidenceType else { throw fail("parse", "evidence type \(evidence.type) is not \(Self.evidenceType)") }
        guard let body = try? JSONParser(maxBytes: AnchorEvidence.maximumBodyBytes, maxDepth: 4).parse(evidence.body),
              body.objectValue?.map(\.key) == ["checkpoint"], let note = body["checkpoint"]?.stringValue else {
            throw fail("parse", "the body must be {\"checkpoint\": signed note}")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try SignedCheckpoint.open(Array(note.utf8), origin: request.origin,
                                                   logVerifier: try logKey.makeVerifier()).checkpoint
        } catch {
            throw LedgerError(code: .invalidEvidence, reason: "the checkpoint is not signed by the pinned log key",
                              step: "signature", underlying: error)
        }
        guard checkpoint.size == request.treeSize, checkpoint.rootHash == request.rootHash,
              evidence.treeSize == request.treeSize, evidence.rootHash == request.rootHash else {
            throw fail("checkpoint", "the checkpoint does not state the expected tree size and root")
        }
    }
}
