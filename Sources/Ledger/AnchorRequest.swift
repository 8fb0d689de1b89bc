/// What gets anchored: one log checkpoint of one gateway. Only hashes, sizes and the gateway
/// id ever leave the gateway; no reading content does.
public struct AnchorRequest: Sendable, Hashable {
    /// The gateway id (the log origin names it too).
    public let gatewayID: String
    /// The log's origin line.
    public let origin: String
    /// The checkpoint's tree size.
    public let treeSize: UInt64
    /// The checkpoint's RFC 6962 root (32 bytes).
    public let rootHash: [UInt8]
    /// The checkpoint as the log signed it (a C2SP signed note), for backends that keep it.
    public let signedNote: [UInt8]

    /// Creates a request.
    /// - Throws: ``LedgerError`` `.invalidRequest` for an empty gateway id or origin, a root
    ///   that is not 32 bytes or a tree size of 0.
    public init(gatewayID: String, origin: String, treeSize: UInt64, rootHash: [UInt8],
                signedNote: [UInt8] = []) throws(LedgerError) {
        guard !gatewayID.isEmpty, !origin.isEmpty else {
            throw LedgerError(code: .invalidRequest, reason: "gateway id and origin must not be empty")
        }
        guard rootHash.count == 32 else {
            throw LedgerError(code: .invalidRequest, reason: "root hash is \(rootHash.count) bytes, expected 32")
        }
        guard treeSize > 0 else { throw LedgerError(code: .invalidRequest, reason: "an empty log is not anchored") }
        self.gatewayID = gatewayID
        self.origin = origin
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.signedNote = signedNote
    }
}
