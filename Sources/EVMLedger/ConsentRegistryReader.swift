public import EVMLightClient
public import Ledger

/// Reads consent decisions from the registry contract through verified EIP-1186 proofs.
///
/// For each read: take a header from the ``TrustedHeaderSource`` (never the node's word alone),
/// refuse it if it is older than the policy allows, fetch `eth_getProof` for the registry's
/// authority, version and record slots at that block, and verify the account and storage proofs
/// against the header's state root. The proven account must carry the registry's code and the
/// pinned authority. It never uses `eth_call`, and believes nothing the node says that the proofs
/// do not prove. A lie is refused with `LedgerError.untrustworthyNode` naming the step:
///
/// | step | failure |
/// | --- | --- |
/// | `trusted-header` | the header source's evidence fails (seals, pinned hash) |
/// | `stale` | the trusted block is older than `maximumAgeSeconds` or `maximumAgeBlocks` |
/// | `state-root` | the account proof does not start at the trusted header's state root |
/// | `account-proof` | the account proof does not verify |
/// | `account` | the answered account fields differ from the proven account |
/// | `storage-proof` | a storage proof does not verify, or answers other slots than asked |
/// | `storage-value` | an answered slot value differs from the proven one |
/// | `record` | a proven record is not a registry record (status, version) |
///
/// A registry missing at the trusted block, with other code, or with another authority is a
/// configuration error (`.invalidConfiguration`, steps `registry`, `authority`).
public struct ConsentRegistryReader: Sendable {
    /// Where the registry is and how fresh its state must be.
    public struct Policy: Sendable, Hashable {
        /// The registry contract.
        public var registry: EthereumAddress
        /// The authority it must have been deployed by (proven from slot 0).
        public var authority: EthereumAddress
        /// Refuse a trusted block older than this many seconds (by its timestamp); nil: no limit.
        public var maximumAgeSeconds: UInt64?
        /// Refuse a trusted block more than this many blocks behind the node's head; nil: no
        /// limit. (The head is the node's claim: a node can only make a block look fresher by
        /// under-reporting it, which the age in seconds still bounds.)
        public var maximumAgeBlocks: UInt64?

        /// A policy; 300 s and 64 blocks by default.
        public init(registry: EthereumAddress, authority: EthereumAddress, maximumAgeSeconds: UInt64? = 300,
                    maximumAgeBlocks: UInt64? = 64) {
            self.registry = registry
            self.authority = authority
            self.maximumAgeSeconds = maximumAgeSeconds
            self.maximumAgeBlocks = maximumAgeBlocks
        }
    }

    /// The policy.
    public let policy: Policy
    private let rpc: JSONRPCClient
    private let headers: any TrustedHeaderSource
    private let clock: @Sendable () -> Int64

    /// A reader of the registry through `rpc`, trusting headers from `headers`.
    /// - Parameter clock: wall-clock milliseconds since the Unix epoch (the block age).
    public init(rpc: JSONRPCClient, headers: any TrustedHeaderSource, policy: Policy,
                clock: @escaping @Sendable () -> Int64 = EVMLedgerBackend.systemClock) {
        self.rpc = rpc
        self.headers = headers
        self.policy = policy
        self.clock = clock
    }

    /// The proven decision for (pseudonym, grantee, purpose), each 32 bytes.
    /// - Throws: ``LedgerError``: `.untrustworthyNode` with the failed step (table above),
    ///   `.invalidConfiguration` (`registry`, `authority`), `.invalidRequest` for inputs that are
    ///   not 32 bytes, transport errors as the JSON-RPC client reports them.
    public func read(pseudonym: [UInt8], grantee: [UInt8], purpose: [UInt8]) async throws(LedgerError)
        -> ConsentRegistryState {
        try read(pseudonym: pseudonym, grantee: grantee, purpose: purpose, at: try await trustedHeader())
    }

    /// The header reads are made at: the source's final header, refused (step `stale`) when
    /// older than the policy allows. A poll takes one and makes all its reads at it.
    public func trustedHeader() async throws(LedgerError) -> BlockHeader {
        let header = try await headers.finalHeader()
        try checkAge(header)
        return header
    }

    /// The proven decision for (pseudonym, grantee, purpose) at `header` (from ``trustedHeader()``).
    /// - Throws: as ``read(pseudonym:grantee:purpose:)``, but for the header's own steps.
    public func read(pseudonym: [UInt8], grantee: [UInt8], purpose: [UInt8], at header: BlockHeader) throws(LedgerError)
        -> ConsentRegistryState {
        guard pseudonym.count == 32, grantee.count == 32, purpose.count == 32 else {
            throw LedgerError(code: .invalidRequest, reason: "pseudonym, grantee and purpose must be 32 bytes each")
        }
        let slots = [ConsentRegistry.authoritySlot,
                     ConsentRegistry.versionSlot(pseudonym: pseudonym, grantee: grantee),
                     ConsentRegistry.recordSlot(pseudonym: pseudonym, grantee: grantee, purpose: purpose)]
        let words = try provenWords(slots, at: header)
        return try Self.state(authority: words[0], pairVersion: words[1], record: words[2], purpose: purpose,
                              header: header, policy: policy)
    }

    /// Refuses a trusted header older than the policy allows.
    func checkAge(_ header: BlockHeader) throws(LedgerError) {
        if let limit = policy.maximumAgeSeconds {
            let now = UInt64(max(0, clock() / 1000))
            if now > header.timestamp, now - header.timestamp > limit {
                throw LedgerError(code: .untrustworthyNode,
                                  reason: "the trusted block is \(now - header.timestamp) s old, the limit is \(limit) s",
                                  step: "stale")
            }
        }
        if let limit = policy.maximumAgeBlocks {
            let head = try EthereumNode(rpc: rpc).blockNumber()
            if head > header.number, head - header.number > limit {
                throw LedgerError(code: .untrustworthyNode,
                                  reason: "the trusted block is \(head - header.number) blocks behind the head, the limit is \(limit)",
                                  step: "stale")
            }
        }
    }

    /// The proven 32-byte words of `slots` in the registry's storage at `header`.
    func provenWords(_ slots: [[UInt8]], at header: BlockHeader) throws(LedgerError) -> [[UInt8]] {
        let answer = try EthereumNode(rpc: rpc).proof(policy.registry, slots: slots, block: header.number)
        guard answer.address == policy.registry else {
            throw LedgerError(code: .untrustworthyNode, reason: "the proof is about another account", step: "account")
        }
        guard answer.storageProof.map(\.slot) == slots else {
            throw LedgerError(code: .untrustworthyNode, reason: "the answer proves other storage slots than asked",
                              step: "storage-proof")
        }
        let verified: AccountProof.Verified
        do {
            verified = try answer.verify(stateRoot: header.stateRoot)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the registry's state proof fails",
                              step: error.stateProofStep ?? "account-proof", underlying: error)
        }
        guard let account = verified.account else {
            throw LedgerError(code: .invalidConfiguration,
                              reason: "no account at the registry address at block \(header.number)", step: "registry")
        }
        guard account.codeHash == ConsentRegistry.runtimeCodeHash else {
            throw LedgerError(code: .invalidConfiguration, reason: "the account at the registry address has other code",
                              step: "registry")
        }
        return slots.map { slot in
            let value = verified.storage[slot]?.bigEndianBytes ?? []
            return [UInt8](repeating: 0, count: 32 - value.count) + value
        }
    }

    /// The decision the proven words encode.
    static func state(authority: [UInt8], pairVersion: [UInt8], record: [UInt8], purpose: [UInt8],
                      header: BlockHeader, policy: Policy) throws(LedgerError) -> ConsentRegistryState {
        guard authority == [UInt8](repeating: 0, count: 12) + policy.authority.bytes else {
            throw LedgerError(code: .invalidConfiguration, reason: "the registry's authority is not the configured one",
                              step: "authority")
        }
        guard pairVersion[0..<24].allSatisfy({ $0 == 0 }) else {
            throw LedgerError(code: .untrustworthyNode, reason: "the pair's version counter is out of range", step: "record")
        }
        let latest = pairVersion[24...].reduce(0) { $0 << 8 | UInt64($1) }
        guard record.contains(where: { $0 != 0 }) else {
            return ConsentRegistryState(decision: .absent, version: 0, pairVersion: latest, purpose: purpose, classes: [],
                                        notBefore: nil, notAfter: nil, blockNumber: header.number,
                                        blockTimestamp: header.timestamp)
        }
        guard let terms = ConsentRegistry.Terms(word: record), terms.version >= 1, terms.version <= latest else {
            throw LedgerError(code: .untrustworthyNode, reason: "the proven record is not a registry record", step: "record")
        }
        return ConsentRegistryState(
            decision: terms.status == .granted ? .granted : .revoked, version: terms.version, pairVersion: latest,
            purpose: purpose, classes: ConsentRegistry.DataClass(rawValue: terms.classes),
            notBefore: terms.notBefore == 0 ? nil : terms.notBefore, notAfter: terms.notAfter == 0 ? nil : terms.notAfter,
            blockNumber: header.number, blockTimestamp: header.timestamp)
    }
}
