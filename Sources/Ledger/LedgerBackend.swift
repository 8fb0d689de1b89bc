/// A ledger the gateway anchors its log checkpoints to: the embedded log itself (`local`) or an
/// Ethereum-compatible chain (`evm`). Chosen in the config's `[ledger]` section.
///
/// The anchoring worker drives a backend with two calls and persists what they return in the
/// vault's anchor queue, so a backend holds no state that a restart would lose:
///
/// 1. ``submit(_:replacing:)`` posts a checkpoint and returns an ``AnchorTicket`` (for `evm`:
///    the signed transaction, its hash, nonce and fees).
/// 2. ``progress(of:for:)`` is called again and again until it returns `.anchored` with
///    verified ``AnchorEvidence`` or `.resubmit` (the transaction was dropped or reorged out).
///
/// Both calls block for at most the backend's own timeouts; they run on the anchoring worker's
/// thread, never on the ingest path. A backend never reports `.anchored` on a node's word: it
/// verifies what it was served, and a node caught lying yields a ``LedgerError`` with code
/// `.untrustworthyNode` and no anchor.
public protocol LedgerBackend: Sendable {
    /// The backend's name in config and in evidence (`local`, `evm`).
    var name: String { get }

    /// Posts `request`. With `replacing` set, the earlier submission is replaced (for `evm`, the
    /// same nonce with bumped fees) rather than duplicated.
    /// - Throws: ``LedgerError``; the caller retries later with backoff.
    func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket

    /// Where the submission stands.
    /// - Throws: ``LedgerError``; the caller keeps the ticket and asks again later.
    func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress
}

/// Checks evidence offline, with only what an auditor pins (a trusted block hash, a validator
/// set, a log key). Each backend that produces evidence has one.
public protocol AnchorEvidenceVerifier: Sendable {
    /// The ``AnchorEvidence/type`` values this verifier understands.
    var evidenceTypes: [String] { get }

    /// Verifies that `evidence` anchors `request`'s root and size for its gateway, and is final.
    /// - Throws: ``LedgerError`` naming the first failed step.
    func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError)
}
