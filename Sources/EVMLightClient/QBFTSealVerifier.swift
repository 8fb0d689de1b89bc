import Secp256k1

/// Checks the committed seals of a Besu QBFT header against a pinned validator set.
///
/// Mirrors Besu's `BftCommitSealsValidationRule`: each seal in the header's `extraData` is a
/// recoverable secp256k1 signature over ``QBFT/hashForCommittedSeal(_:)`` (round kept, seals
/// removed); the header is final when
/// - every seal recovers (recovery id 0 or 1, `r` and `s` in `1..<n`; high `s` is accepted, as
///   Besu's signature decoding does),
/// - no two seals recover to the same address,
/// - every signer is in the pinned set, and
/// - there are at least `quorum = ceil(2n/3)` of them, Besu's
///   `BftHelpers.calculateRequiredValidatorQuorum(n) = Util.fastDivCeiling(2 * n, 3)`
///   (n = 4 needs 3, n = 3 needs 2, n = 1 needs 1).
///
/// Which set to pin: Besu checks block N's seals against the validators *after* block N-1, which
/// for QBFT with header-listed validators is the validator list in block N-1's `extraData`.
public struct QBFTSealVerifier: Sendable {
    /// The pinned validators, in the order given.
    public let validators: [EthereumAddress]
    private let validatorSet: Set<EthereumAddress>

    /// Pins a validator set.
    /// - Throws: ``LightClientError`` `.invalidValidatorSet` if it is empty or has duplicates.
    public init(validators: [EthereumAddress]) throws(LightClientError) {
        let set = Set(validators)
        guard !validators.isEmpty else {
            throw LightClientError(.invalidValidatorSet, "validator set is empty")
        }
        guard set.count == validators.count else {
            throw LightClientError(.invalidValidatorSet, "validator set lists an address more than once")
        }
        self.validators = validators
        self.validatorSet = set
    }

    /// Pins the validators listed in a trusted header's `extraData` (the set that seals the
    /// *next* block).
    /// - Throws: ``LightClientError`` `.malformedExtraData` or `.invalidValidatorSet`.
    public init(validatorsAfter trustedHeader: BlockHeader) throws(LightClientError) {
        let extra = try QBFTExtraData(extraData: trustedHeader.extraData)
        try self.init(validators: extra.validators.map { EthereumAddress(checkedBytes: $0) })
    }

    /// Besu's quorum: `ceil(2n/3)` for `n` validators.
    public static func quorum(validatorCount n: Int) -> Int {
        (2 * n + 2) / 3
    }

    /// The number of distinct validator seals a header needs.
    public var quorum: Int { Self.quorum(validatorCount: validators.count) }

    /// The signer of each committed seal, in seal order (no membership or quorum check).
    /// - Throws: ``LightClientError`` `.malformedExtraData`, or `.invalidSignature` for a seal
    ///   that does not parse or recover.
    public static func committers(of header: BlockHeader) throws(LightClientError) -> [EthereumAddress] {
        let extra = try QBFTExtraData(extraData: header.extraData)
        let sealHash = try QBFT.hashForCommittedSeal(header)
        var signers: [EthereumAddress] = []
        for (index, seal) in extra.committedSeals.enumerated() {
            guard seal.v <= 1 else {
                throw LightClientError(.invalidSignature, "seal \(index) has recovery id \(seal.v), expected 0 or 1")
            }
            do {
                let signature = try RecoverableSignature(compactRepresentation: seal.bytes)
                signers.append(EthereumAddress(publicKey: try PublicKey(recoveringFrom: signature, hash: sealHash)))
            } catch {
                throw LightClientError(.invalidSignature, "seal \(index) does not recover", secp256k1: error)
            }
        }
        return signers
    }

    /// Verifies the header's committed seals and returns the distinct signers, in seal order.
    /// - Throws: ``LightClientError`` `.malformedExtraData`, `.invalidSignature`, `.duplicateSeal`,
    ///   `.sealByNonValidator` or `.insufficientSeals`.
    @discardableResult
    public func verify(_ header: BlockHeader) throws(LightClientError) -> [EthereumAddress] {
        let signers = try Self.committers(of: header)
        guard Set(signers).count == signers.count else {
            throw LightClientError(.duplicateSeal, "two seals recover to the same signer")
        }
        if let index = signers.firstIndex(where: { !validatorSet.contains($0) }) {
            throw LightClientError(.sealByNonValidator, "seal \(index) is not by a pinned validator")
        }
        guard signers.count >= quorum else {
            throw LightClientError(.insufficientSeals,
                                   "\(signers.count) validator seals, quorum is \(quorum) of \(validators.count)")
        }
        return signers
    }
}
