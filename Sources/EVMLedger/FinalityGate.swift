public import EVMLightClient
public import Ledger

/// Decides whether a block is final, from evidence the node that served it cannot forge: QBFT
/// commit seals of pinned validators, agreement of independently configured witness nodes, or
/// ancestry of an operator-pinned block hash (``EVMLedgerConfiguration/ConfirmationTrust``).
///
/// The anchor backend asks it about the block holding an anchor (``decide(header:hash:)``); a
/// reader of contract state (e.g. a consent registry read through `eth_getProof`) asks it for a
/// header it may trust as final and takes that header's `stateRoot` (``trustedHeader()``).
/// Both get the same ``FinalBlock``: the header, its hash, the finality data an offline auditor
/// checks (``EVMAnchorEvidence/Finality``) and the ``EVMEvidenceVerifier/Trust`` to check it with.
///
/// Steps named in ``LedgerError`` `.untrustworthyNode`: `chain-link` (descendants that do not
/// link), `witness` (a witness reports another chain id or another block at a height; the error
/// names the witness by its index, never its URL), `pinned-chain` (the block is not an ancestor of
/// the pinned block while the node still calls it canonical), `finality` (QBFT seals).
public struct FinalityGate: Sendable {
    /// What the gate concluded about a block.
    public enum Decision: Sendable, Hashable {
        /// Final, with what shows it.
        case final(FinalBlock)
        /// Not (yet) shown final; the reason says what is missing.
        case pending(String)
        /// The node itself no longer has the block on its canonical chain.
        case reorged(String)
    }

    /// A block shown final.
    public struct FinalBlock: Sendable, Hashable {
        /// The block's header (verified against ``hash``).
        public var header: BlockHeader
        /// The block's hash under the chain's header hashing.
        public var hash: [UInt8]
        /// The finality data for evidence: descendant headers, the chain up to a pinned block, or
        /// the QBFT seals (in the header).
        public var finality: EVMAnchorEvidence.Finality
        /// What an offline verifier pins to check ``finality`` as the gate did.
        public var trust: EVMEvidenceVerifier.Trust
        /// How the block was shown final: `qbft`, `pinned`, `witnesses` or `single-node`.
        public var mode: String
        /// The state root of the final block (for storage proofs).
        public var stateRoot: [UInt8] { header.stateRoot }
    }

    let node: EthereumNode
    let witnesses: [EthereumNode]
    /// The chain id every node must report.
    public let chainID: UInt64
    /// The finality rule.
    public let policy: EVMLedgerConfiguration.FinalityPolicy
    /// What backs confirmations.
    public let trust: EVMLedgerConfiguration.ConfirmationTrust
    /// How block hashes are computed.
    public let hashing: HeaderHashing

    /// A gate over `rpc` (the primary node) with the configuration's finality rule, trust and
    /// header hashing; opens one client per witness (nothing is sent until asked).
    /// - Throws: ``LedgerError`` `.invalidConfiguration` (see ``EVMLedgerConfiguration/validate()``).
    public init(configuration: EVMLedgerConfiguration, rpc: JSONRPCClient) throws(LedgerError) {
        try self.init(rpc: rpc, chainID: configuration.chainID, policy: configuration.finality,
                      trust: configuration.confirmationTrust, hashing: configuration.confirmationsHeaderHashing)
    }

    /// A gate from its parts (`hashing` applies to `.confirmations`; `.qbft` always uses QBFT hashing).
    /// - Throws: ``LedgerError`` `.invalidConfiguration` for an unusable trust setting.
    public init(rpc: JSONRPCClient, chainID: UInt64, policy: EVMLedgerConfiguration.FinalityPolicy,
                trust: EVMLedgerConfiguration.ConfirmationTrust, hashing: HeaderHashing = .standard) throws(LedgerError) {
        if case .confirmations = policy { try trust.validate(primary: rpc.endpoint) }
        node = EthereumNode(rpc: rpc)
        var witnesses: [EthereumNode] = []
        for witness in trust.witnesses {
            witnesses.append(EthereumNode(rpc: try JSONRPCClient(endpoint: witness.endpoint, transport: witness.transport)))
        }
        self.witnesses = witnesses
        self.chainID = chainID
        self.policy = policy
        self.trust = trust
        if case .qbft = policy { self.hashing = .qbft } else { self.hashing = hashing }
    }

    /// How blocks are shown final: `qbft`, or the confirmations trust's mode name.
    public var modeName: String {
        if case .qbft = policy { return "qbft" }
        return trust.modeName
    }

    // MARK: Deciding

    /// Whether the block `header` (which the caller has checked hashes to `hash`) is final.
    /// - Throws: ``LedgerError``: `.untrustworthyNode` at the steps above; transport errors of
    ///   the primary or a witness (a witness's reason starts with `witness node i:`).
    public func decide(header: BlockHeader, hash: [UInt8]) throws(LedgerError) -> Decision {
        switch policy {
        case .qbft(let validators):
            do {
                _ = try QBFTSealVerifier(validators: validators).verify(header)
            } catch {
                throw LedgerError(code: .untrustworthyNode, reason: "QBFT commit seals do not verify: \(error.reason)",
                                  step: "finality", underlying: error)
            }
            return .final(FinalBlock(header: header, hash: hash, finality: .qbft, trust: .qbft(validators: validators),
                                     mode: "qbft"))
        case .confirmations(let required):
            var waiting: String?
            if !trust.pinnedBlocks.isEmpty {
                let pinned = try pinnedChain(header: header, hash: hash)
                guard case .pending(let reason) = pinned, !witnesses.isEmpty else { return pinned }
                waiting = reason
            }
            let confirmed = try confirmed(header: header, hash: hash, required: required)
            if case .pending(let reason) = confirmed, let waiting { return .pending("\(waiting); \(reason)") }
            return confirmed
        }
    }

    /// The newest header this gate can show final, for reading state at its `stateRoot`: under
    /// QBFT the node's head (its seals verified); with witnesses the block `n` below the head,
    /// confirmed and agreed; with pinned blocks only, the newest pinned block the node serves;
    /// with single-node trust the block `n` below the head.
    /// - Throws: ``LedgerError`` as ``decide(header:hash:)``.
    public func trustedHeader() throws(LedgerError) -> Decision {
        let head = try node.blockNumber()
        switch policy {
        case .qbft:
            return try decideAt(number: head)
        case .confirmations(let required):
            if witnesses.isEmpty && !trust.pinnedBlocks.isEmpty {
                guard let newest = try resolvedPins().max(by: { $0.header.number < $1.header.number }) else {
                    return .pending("the node serves none of the pinned blocks")
                }
                return .final(FinalBlock(header: newest.header, hash: newest.hash, finality: .pinned(headers: []),
                                         trust: .trustedBlocks(hashes: [newest.hash], minimumConfirmations: 0,
                                                               hashing: hashing), mode: "pinned"))
            }
            guard head >= UInt64(required) else { return .pending("the chain has \(head) blocks, \(required) needed") }
            return try decideAt(number: head - UInt64(required))
        }
    }

    private func decideAt(number: UInt64) throws(LedgerError) -> Decision {
        guard let raw = try node.rawHeader(number: number) else {
            return .pending("the node does not serve block \(number)")
        }
        let header = try Self.decodeHeader(raw, step: "header-hash")
        guard header.number == number else {
            throw Self.untrustworthy("header-hash", "the header served for height \(number) has another number")
        }
        return try decide(header: header, hash: try blockHash(header, step: "header-hash"))
    }

    // MARK: Confirmations and witnesses

    private func confirmed(header: BlockHeader, hash: [UInt8], required: Int) throws(LedgerError) -> Decision {
        let head = try node.blockNumber()
        let have = head >= header.number ? head - header.number : 0
        guard have >= UInt64(required) else {
            return .pending("included in block \(header.number); \(have) of \(required) confirmations")
        }
        var descendants: [[UInt8]]?
        var hashes: [[UInt8]] = []
        for attempt in 0..<2 where descendants == nil {
            switch try linkedDescendants(of: hash, number: header.number, count: required) {
            case .linked(let headers, let linkedHashes):
                descendants = headers
                hashes = linkedHashes
            case .missing:
                return .pending("included in block \(header.number); the node does not serve all \(required) "
                                + "confirmations yet")
            case .broken:
                if try isReorgedOut(hash, number: header.number) {
                    return .reorged("block \(header.number) was reorged out before finality")
                }
                if attempt == 1 {
                    throw Self.untrustworthy("chain-link", "the headers after block \(header.number) do not link to it")
                }
            }
        }
        guard let descendants, let lastHash = hashes.last else {
            throw Self.untrustworthy("chain-link", "the headers after block \(header.number) do not link to it")
        }
        for (offset, witness) in witnesses.enumerated() {
            if let waiting = try agreement(of: witness, index: offset + 1, from: header.number, hashes: [hash] + hashes) {
                if try isReorgedOut(hash, number: header.number) {
                    return .reorged("block \(header.number) was reorged out before finality")
                }
                return .pending(waiting)
            }
        }
        return .final(FinalBlock(header: header, hash: hash, finality: .confirmations(headers: descendants),
                                 trust: .trustedBlocks(hashes: [lastHash], minimumConfirmations: required, hashing: hashing),
                                 mode: witnesses.isEmpty ? "single-node" : "witnesses"))
    }

    /// Nil when witness `index` reports exactly `hashes` at heights `from`, `from+1`, …; a reason
    /// to wait when it has not reached them. A different chain id or block is a refusal (unless
    /// the primary has meanwhile reorganised: checked by the caller through the thrown step).
    private func agreement(of witness: EthereumNode, index: Int, from number: UInt64,
                           hashes: [[UInt8]]) throws(LedgerError) -> String? {
        func named(_ error: LedgerError) -> LedgerError {
            LedgerError(code: error.code, reason: "witness node \(index): \(error.reason)", step: error.step,
                        underlying: error.underlying)
        }
        do throws(LedgerError) {
            let reported = try witness.chainID()
            guard reported == chainID else {
                throw Self.untrustworthy("witness", "witness node \(index) reports chain id \(reported), configured \(chainID)")
            }
            for (offset, expected) in hashes.enumerated() {
                let height = number + UInt64(offset)
                guard let seen = try witness.canonicalHash(number: height) else {
                    return "witness node \(index) has no block \(height) yet"
                }
                guard seen == expected else {
                    if try isReorgedOut(hashes[0], number: number) { return "block \(number) was reorged out" }
                    throw Self.untrustworthy("witness", "witness node \(index) has another block at height \(height) "
                                             + "than the primary node: refused")
                }
            }
            return nil
        } catch where error.step == "witness" {
            throw error
        } catch {
            throw named(error)
        }
    }

    /// What the node serves after a block.
    enum Descendants {
        /// Headers `number+1 … number+count` (raw) and their hashes, each linking to the previous.
        case linked([[UInt8]], hashes: [[UInt8]])
        /// The node has no header at one of those heights (yet).
        case missing
        /// A header does not link to its predecessor (a reorg in progress, or a lie).
        case broken
    }

    private func linkedDescendants(of hash: [UInt8], number: UInt64, count: Int) throws(LedgerError) -> Descendants {
        var headers: [[UInt8]] = []
        var hashes: [[UInt8]] = []
        var parent = hash
        for offset in 1...UInt64(count) {
            guard let raw = try node.rawHeader(number: number + offset) else { return .missing }
            let header = try Self.decodeHeader(raw, step: "chain-link")
            guard header.number == number + offset else {
                throw Self.untrustworthy("chain-link", "the header served for height \(number + offset) has another number")
            }
            guard header.parentHash == parent else { return .broken }
            parent = try blockHash(header, step: "chain-link")
            headers.append(raw)
            hashes.append(parent)
        }
        return .linked(headers, hashes: hashes)
    }

    // MARK: Pinned blocks

    /// The block as an ancestor of a pinned block: the nearest pinned block at or above it
    /// (within ``EVMEvidenceVerifier/maximumPinnedChainHeaders``), walked back by parent hash
    /// through headers fetched by hash (each checked against the hash it was asked for).
    private func pinnedChain(header: BlockHeader, hash: [UInt8]) throws(LedgerError) -> Decision {
        let resolved = try resolvedPins()
        let limit = UInt64(EVMEvidenceVerifier.maximumPinnedChainHeaders)
        let above = resolved.filter { $0.header.number >= header.number }.sorted { $0.header.number < $1.header.number }
        guard let nearest = above.first else {
            let newest = resolved.map(\.header.number).max()
            return .pending("block \(header.number) is newer than "
                            + (newest.map { "the newest pinned block (\($0))" } ?? "any pinned block the node serves")
                            + ": waiting for a newer pin")
        }
        guard nearest.header.number - header.number <= limit else {
            return .pending("the nearest pinned block (\(nearest.header.number)) is more than \(limit) blocks after "
                            + "block \(header.number): pin a nearer block")
        }
        var chain: [[UInt8]] = []  // from the pinned block down to the block's child
        let linksToBlock: Bool
        if nearest.header.number == header.number {
            linksToBlock = nearest.hash == hash
        } else {
            var current = nearest.header
            chain.append(current.rawRLP)
            while current.number > header.number + 1 {
                guard let raw = try node.rawHeader(hash: current.parentHash) else {
                    return .pending("the node does not serve block \(current.number - 1) below the pinned block")
                }
                let parent = try Self.decodeHeader(raw, step: "pinned-chain")
                guard try blockHash(parent, step: "pinned-chain") == current.parentHash,
                      parent.number == current.number - 1 else {
                    throw Self.untrustworthy("pinned-chain", "the header served for block \(current.number - 1) does "
                                             + "not hash to its child's parent hash")
                }
                chain.append(raw)
                current = parent
            }
            linksToBlock = current.parentHash == hash
        }
        guard linksToBlock else {
            if try isReorgedOut(hash, number: header.number) {
                return .reorged("block \(header.number) is not on the chain of pinned block \(nearest.header.number)")
            }
            throw Self.untrustworthy("pinned-chain", "block \(header.number) is not an ancestor of pinned block "
                                     + "\(nearest.header.number), yet the node calls it canonical: refused")
        }
        return .final(FinalBlock(header: header, hash: hash, finality: .pinned(headers: chain.reversed()),
                                 trust: .trustedBlocks(hashes: [nearest.hash], minimumConfirmations: 0, hashing: hashing),
                                 mode: "pinned"))
    }

    /// The pinned blocks the node serves, each header checked against its pinned hash (one call
    /// per pin and decision, so a pin the node stops serving is noticed).
    private func resolvedPins() throws(LedgerError) -> [(hash: [UInt8], header: BlockHeader)] {
        var out: [(hash: [UInt8], header: BlockHeader)] = []
        for pin in trust.pinnedBlocks {
            guard let raw = try node.rawHeader(hash: pin) else { continue }
            let header = try Self.decodeHeader(raw, step: "pinned-chain")
            guard try blockHash(header, step: "pinned-chain") == pin else {
                throw Self.untrustworthy("pinned-chain", "the header served for a pinned hash does not hash to it")
            }
            out.append((pin, header))
        }
        return out
    }

    // MARK: Helpers

    /// True when the node's canonical block at `number` is no longer `hash`.
    func isReorgedOut(_ hash: [UInt8], number: UInt64) throws(LedgerError) -> Bool {
        guard let raw = try node.rawHeader(number: number) else { return true }
        let header = try Self.decodeHeader(raw, step: "header-hash")
        guard header.number == number else {
            throw Self.untrustworthy("header-hash", "the header served for height \(number) has another number")
        }
        return try blockHash(header, step: "header-hash") != hash
    }

    /// The header's hash under the chain's rule; a QBFT header whose extraData does not decode
    /// is the node's fault.
    func blockHash(_ header: BlockHeader, step: String) throws(LedgerError) -> [UInt8] {
        do {
            return try hashing.hash(header)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the node served a header whose hash cannot be computed",
                              step: step, underlying: error)
        }
    }

    static func decodeHeader(_ raw: [UInt8], step: String) throws(LedgerError) -> BlockHeader {
        do {
            return try BlockHeader(rlp: raw)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the node served a header that does not decode", step: step,
                              underlying: error)
        }
    }

    static func untrustworthy(_ step: String, _ reason: String) -> LedgerError {
        LedgerError(code: .untrustworthyNode, reason: reason, step: step)
    }
}
