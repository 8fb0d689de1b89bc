public import ErrorSupport

/// The codes of ``LedgerError``.
extension ErrorCode<LedgerError> {
    /// The request itself is invalid.
    public static var invalidRequest: Self { Self("invalidRequest") }
    /// The node cannot be reached, refused or timed out: retry later.
    public static var unavailable: Self { Self("unavailable") }
    /// TLS with the node failed: the handshake, the node's certificate (not signed by a trusted
    /// CA, or for another host), or the client certificate or key. Retrying alone rarely helps:
    /// check the CA bundle, the certificates and the node.
    public static var tls: Self { Self("tls") }
    /// The node answered with something that is not a well-formed response.
    public static var malformedResponse: Self { Self("malformedResponse") }
    /// The node rejected the submission (e.g. insufficient funds, underpriced).
    public static var rejected: Self { Self("rejected") }
    /// The node served data that contradicts what it must be (wrong header, receipts that do
    /// not match the root, a forged event, a chain that does not link, the wrong chain id).
    public static var untrustworthyNode: Self { Self("untrustworthyNode") }
    /// Evidence does not verify offline; the reason names the failed step.
    public static var invalidEvidence: Self { Self("invalidEvidence") }
    /// A configuration value is invalid (key, chain id, contract address, endpoint).
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
}
