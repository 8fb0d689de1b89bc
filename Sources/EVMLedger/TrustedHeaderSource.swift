public import EVMLightClient
public import Ledger

/// Where a reader of chain state gets the header it trusts: a header whose finality rests on
/// evidence the node being read cannot forge on its own (QBFT commit seals of a pinned validator
/// set, an operator-pinned hash, agreement of independent nodes).
///
/// ``ConsentRegistryReader`` verifies every state proof against the `stateRoot` of the header a
/// source returns, and nothing else the node says. Implementations: ``QBFTHeaderSource`` (seals),
/// ``PinnedHeaderSource`` (a pinned block hash).
public protocol TrustedHeaderSource: Sendable {
    /// The most recent header the source trusts as final.
    /// - Throws: ``LedgerError``; `.untrustworthyNode` with step `trusted-header` when the node's
    ///   header does not carry the evidence, `.unavailable` when it cannot be fetched.
    func finalHeader() async throws(LedgerError) -> BlockHeader
}

/// Trusts exactly one block: the one with an operator-pinned hash (and its state).
///
/// Fetches the header by hash (`debug_getRawHeader`) and accepts it only if it hashes to the
/// pinned value under `hashing`. The pinned block does not move, so readers bound its age
/// (``ConsentRegistryReader/Policy``): an operator re-pins to read newer state. Also what tests use.
public struct PinnedHeaderSource: TrustedHeaderSource {
    /// The pinned block hash.
    public let blockHash: [UInt8]
    /// How the chain hashes headers (`qbft` for Besu QBFT chains).
    public let hashing: HeaderHashing
    private let rpc: JSONRPCClient

    /// A source pinned to `blockHash` (32 bytes), fetching the header from `rpc`.
    public init(rpc: JSONRPCClient, blockHash: [UInt8], hashing: HeaderHashing = .standard) {
        self.rpc = rpc
        self.blockHash = blockHash
        self.hashing = hashing
    }

    /// The pinned header.
    public func finalHeader() async throws(LedgerError) -> BlockHeader {
        guard let raw = try EthereumNode(rpc: rpc).rawHeader(hash: blockHash) else {
            throw LedgerError(code: .untrustworthyNode, reason: "the node does not serve the pinned block",
                              step: "trusted-header")
        }
        let header = try Self.decode(raw)
        guard try hashing.hash(header) == blockHash else {
            throw LedgerError(code: .untrustworthyNode, reason: "the header served for the pinned hash does not hash to it",
                              step: "trusted-header")
        }
        return header
    }

    static func decode(_ raw: [UInt8]) throws(LedgerError) -> BlockHeader {
        do {
            return try BlockHeader(rlp: raw)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the served header does not decode", step: "trusted-header",
                              underlying: error)
        }
    }
}

/// Trusts the node's latest header when it carries QBFT commit seals from a quorum of a pinned
/// validator set (Besu's rule, ``QBFTSealVerifier``): a node without the validators' keys cannot
/// produce one.
public struct QBFTHeaderSource: TrustedHeaderSource {
    /// The pinned validators and their quorum.
    public let verifier: QBFTSealVerifier
    private let rpc: JSONRPCClient

    /// A source checking seals against `validators`.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` for an empty or duplicated set.
    public init(rpc: JSONRPCClient, validators: [EthereumAddress]) throws(LedgerError) {
        do {
            verifier = try QBFTSealVerifier(validators: validators)
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "invalid QBFT validator set", underlying: error)
        }
        self.rpc = rpc
    }

    /// The latest header, once its seals verify.
    public func finalHeader() async throws(LedgerError) -> BlockHeader {
        guard let raw = try EthereumNode(rpc: rpc).latestRawHeader() else {
            throw LedgerError(code: .unavailable, reason: "the node serves no latest header")
        }
        let header = try PinnedHeaderSource.decode(raw)
        do {
            _ = try verifier.verify(header)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the latest header's QBFT seals do not verify",
                              step: "trusted-header", underlying: error)
        }
        return header
    }
}
