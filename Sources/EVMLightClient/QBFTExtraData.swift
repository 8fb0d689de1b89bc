/// The `extraData` of a Hyperledger Besu QBFT block header.
///
/// Layout (Besu `QbftExtraDataCodec`):
/// ```
/// RLP([vanity (32 bytes),
///      [validator address (20 bytes), ...],
///      vote: [] or [recipient address, 0xFF (add) | 0x80 (drop)],
///      round: unsigned integer, minimal RLP scalar,
///      [committed seal (65 bytes: r ‖ s ‖ recovery id), ...]])
/// ```
/// Besu's IBFT 2.0 codec differs (4-byte round, vote as empty string, seal field omitted when
/// excluded) and is not handled here.
public struct QBFTExtraData: Sendable, Hashable {
    /// A validator vote carried by the proposer.
    public struct Vote: Sendable, Hashable {
        /// 20-byte address of the validator voted on.
        public var recipient: [UInt8]
        /// True to add the recipient to the validator set, false to drop it.
        public var authorize: Bool

        /// Creates a vote.
        public init(recipient: [UInt8], authorize: Bool) {
            self.recipient = recipient
            self.authorize = authorize
        }
    }

    /// A committed seal: a 65-byte secp256k1 signature `r ‖ s ‖ v` over
    /// ``QBFT/hashForCommittedSeal(_:)`` of the header, with `v` the recovery id (0 or 1).
    public struct CommittedSeal: Sendable, Hashable {
        /// The 65 raw bytes.
        public let bytes: [UInt8]

        /// Wraps 65 signature bytes; throws for any other length.
        public init(bytes: [UInt8]) throws(LightClientError) {
            guard bytes.count == 65 else {
                throw LightClientError(.malformedExtraData, "committed seal of \(bytes.count) bytes, expected 65")
            }
            self.bytes = bytes
        }

        /// The 32-byte `r` component.
        public var r: ArraySlice<UInt8> { bytes[0..<32] }
        /// The 32-byte `s` component.
        public var s: ArraySlice<UInt8> { bytes[32..<64] }
        /// The recovery id as stored by Besu (0 or 1, not 27/28).
        public var v: UInt8 { bytes[64] }
    }

    /// 32 bytes of proposer vanity data.
    public var vanity: [UInt8]
    /// 20-byte validator addresses (empty when validators come from a contract).
    public var validators: [[UInt8]]
    /// The proposer's validator vote, if any.
    public var vote: Vote?
    /// The consensus round in which the block was committed.
    public var round: UInt32
    /// The commit seals of the validators that committed the block (empty while signing).
    public var committedSeals: [CommittedSeal]

    /// Creates extraData; the defaults give a genesis-style value (zero vanity, round 0, no seals).
    public init(vanity: [UInt8] = [UInt8](repeating: 0, count: 32), validators: [[UInt8]], vote: Vote? = nil,
                round: UInt32 = 0, committedSeals: [CommittedSeal] = []) {
        self.vanity = vanity
        self.validators = validators
        self.vote = vote
        self.round = round
        self.committedSeals = committedSeals
    }

    /// Decodes a header's `extraData`.
    public init(extraData: some Collection<UInt8>) throws(LightClientError) {
        let fields: [RLPItem]
        do throws(RLPError) {
            fields = try RLP.decode(extraData).asList(count: 5, "QBFT extraData")
            vanity = try fields[0].asFixedBytes(count: 32, "vanity")
            validators = try fields[1].asList("validators").map { item throws(RLPError) in
                try item.asFixedBytes(count: 20, "validator")
            }
            let voteFields = try fields[2].asList("vote")
            switch voteFields.count {
            case 0:
                vote = nil
            case 2:
                let recipient = try voteFields[0].asFixedBytes(count: 20, "vote recipient")
                switch try voteFields[1].asBytes("vote type") {
                case [0xFF]: vote = Vote(recipient: recipient, authorize: true)
                case [], [0x00]: vote = Vote(recipient: recipient, authorize: false)
                default: throw RLPError(.unexpectedType, "vote type must be 0xFF (add) or empty (drop)")
                }
            default:
                throw RLPError(.wrongItemCount, "vote has \(voteFields.count) elements, expected 0 or 2")
            }
            round = UInt32(try fields[3].asBigEndianInteger(maxBytes: 4, "round").reduce(0) { $0 << 8 | UInt32($1) })
        } catch {
            throw LightClientError(.malformedExtraData, "extraData is not QBFT extraData", underlying: error)
        }
        var seals: [CommittedSeal] = []
        guard let sealItems = fields[4].listValue else {
            throw LightClientError(.malformedExtraData, "committed seals field is not a list")
        }
        for item in sealItems {
            guard let bytes = item.bytesValue else {
                throw LightClientError(.malformedExtraData, "a committed seal is a list")
            }
            seals.append(try CommittedSeal(bytes: bytes))
        }
        committedSeals = seals
    }

    /// The full encoding, as stored in a sealed header.
    public func encoded() -> [UInt8] {
        encoded(round: round, includeSeals: true)
    }

    /// Besu's encoding with the committed seals replaced by an empty list; `round` optionally
    /// overridden (0 for the on-chain block hash).
    public func encoded(round: UInt32, includeSeals: Bool) -> [UInt8] {
        let voteItem: RLPItem = vote.map {
            .list([.bytes($0.recipient), .bytes($0.authorize ? [0xFF] : [])])
        } ?? .list([])
        return RLP.encode(.list([
            .bytes(vanity),
            .list(validators.map(RLPItem.bytes)),
            voteItem,
            .uint(UInt64(round)),
            .list(includeSeals ? committedSeals.map { .bytes($0.bytes) } : []),
        ]))
    }
}
