import EVMLightClient
import Secp256k1
import Testing

/// QBFT headers sealed by the tests themselves following Besu's rules: each committed seal is a
/// recoverable signature over `QBFT.hashForCommittedSeal(header)` (seals removed, round kept),
/// stored as `r ‖ s ‖ recoveryID` in `extraData`.
@Suite struct QBFTSealVerifierTests {
    let keys: [PrivateKey] = (0..<4).map { _ in PrivateKey() }
    var validators: [EthereumAddress] { keys.map(\.publicKey.ethereumAddress) }

    func extraData(round: UInt32, seals: [QBFTExtraData.CommittedSeal] = []) -> QBFTExtraData {
        QBFTExtraData(vanity: [UInt8](repeating: 0x11, count: 32), validators: validators.map(\.bytes),
                      round: round, committedSeals: seals)
    }

    func header(round: UInt32, seals: [QBFTExtraData.CommittedSeal] = [], number: UInt64 = 42) throws -> BlockHeader {
        try BlockHeader(
            parentHash: [UInt8](repeating: 0x01, count: 32), ommersHash: Keccak256.hash([0xC0]),
            beneficiary: validators[0].bytes, stateRoot: [UInt8](repeating: 0x02, count: 32),
            transactionsRoot: MerklePatriciaTrie.emptyRootHash, receiptsRoot: MerklePatriciaTrie.emptyRootHash,
            logsBloom: [UInt8](repeating: 0, count: 256), difficulty: [1], number: number, gasLimit: 30_000_000,
            gasUsed: 0, timestamp: 1_700_000_000, extraData: extraData(round: round, seals: seals).encoded(),
            mixHash: hex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"),
            nonce: [UInt8](repeating: 0, count: 8), baseFeePerGas: [])
    }

    /// Seals the round-`round` proposal with `signers`, the way Besu validators commit it.
    func sealed(round: UInt32, by signers: [PrivateKey]) throws -> BlockHeader {
        let sealHash = try QBFT.hashForCommittedSeal(header(round: round))
        let seals = try signers.map { key in
            try QBFTExtraData.CommittedSeal(bytes: key.signRecoverable(hash: sealHash).compactRepresentation)
        }
        return try header(round: round, seals: seals)
    }

    func expectFailure(_ verifier: QBFTSealVerifier, _ header: BlockHeader, _ codes: LightClientError.Code...,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try verifier.verify(header)
            Issue.record("verification passed", sourceLocation: sourceLocation)
        } catch {
            #expect(codes.contains(error.code), "got \(error.code)", sourceLocation: sourceLocation)
        }
    }

    @Test func besuQuorumIsCeilingOfTwoThirds() {
        // BftHelpers.calculateRequiredValidatorQuorum(n) = Util.fastDivCeiling(2 * n, 3).
        let expected = [1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 6, 9: 6, 10: 7, 21: 14, 22: 15]
        for (n, quorum) in expected {
            #expect(QBFTSealVerifier.quorum(validatorCount: n) == quorum, "n = \(n)")
        }
    }

    @Test func threeOfFourSealsReachQuorum() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        #expect(verifier.quorum == 3)
        let header = try sealed(round: 2, by: [keys[2], keys[0], keys[3]])
        #expect(try verifier.verify(header) == [validators[2], validators[0], validators[3]])
        #expect(try QBFTSealVerifier.committers(of: header) == [validators[2], validators[0], validators[3]])
        // All four also pass.
        #expect(try verifier.verify(sealed(round: 0, by: keys)).count == 4)
    }

    @Test func twoOfFourSealsFail() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        expectFailure(verifier, try sealed(round: 1, by: [keys[0], keys[1]]), .insufficientSeals)
        expectFailure(verifier, try sealed(round: 1, by: []), .insufficientSeals)
    }

    @Test func sealByNonValidatorFails() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        let outsider = PrivateKey()
        // Besu rejects a header if any committer is outside the set, even with a quorum besides.
        expectFailure(verifier, try sealed(round: 0, by: [keys[0], keys[1], outsider]), .sealByNonValidator)
        expectFailure(verifier, try sealed(round: 0, by: [keys[0], keys[1], keys[2], outsider]), .sealByNonValidator)
    }

    @Test func duplicateSealsFail() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        expectFailure(verifier, try sealed(round: 0, by: [keys[0], keys[1], keys[1]]), .duplicateSeal)
    }

    @Test func changingTheRoundAfterSealingBreaksTheSeals() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        let original = try sealed(round: 1, by: [keys[0], keys[1], keys[2]])
        try verifier.verify(original)
        let seals = try QBFTExtraData(extraData: original.extraData).committedSeals
        let moved = try header(round: 2, seals: seals)
        #expect(try QBFT.hashForCommittedSeal(moved) != QBFT.hashForCommittedSeal(original))
        #expect(try QBFT.blockHash(moved) == QBFT.blockHash(original))
        // The seals now recover to unrelated keys (or, rarely, to no key at all).
        expectFailure(verifier, moved, .sealByNonValidator, .invalidSignature)
    }

    @Test func changingAnotherHeaderFieldBreaksTheSeals() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        let original = try sealed(round: 0, by: [keys[0], keys[1], keys[2]])
        let seals = try QBFTExtraData(extraData: original.extraData).committedSeals
        expectFailure(verifier, try header(round: 0, seals: seals, number: 43), .sealByNonValidator, .invalidSignature)
    }

    @Test func malformedSealsFail() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        let good = try QBFTExtraData(extraData: sealed(round: 0, by: [keys[0], keys[1], keys[2]]).extraData)
        for mutate in [{ (bytes: inout [UInt8]) in bytes[64] = 2 },  // recovery id 2: Besu allows 0/1 only
                       { bytes in bytes[64] = 27 },
                       { bytes in bytes.replaceSubrange(0..<32, with: [UInt8](repeating: 0, count: 32)) },  // r = 0
                       { bytes in bytes.replaceSubrange(32..<64, with: RecoverableSignature.groupOrder) }] {  // s = n
            var bytes = good.committedSeals[1].bytes
            mutate(&bytes)
            var seals = good.committedSeals
            seals[1] = try QBFTExtraData.CommittedSeal(bytes: bytes)
            expectFailure(verifier, try header(round: 0, seals: seals), .invalidSignature)
        }
    }

    /// Besu decodes seals without a low-s check, so a malleated (high-s) seal still counts once.
    @Test func highSSealsCountLikeBesu() throws {
        let verifier = try QBFTSealVerifier(validators: validators)
        let good = try QBFTExtraData(extraData: sealed(round: 0, by: [keys[0], keys[1], keys[2]]).extraData)
        var seals = good.committedSeals
        let low = try RecoverableSignature(compactRepresentation: seals[2].bytes)
        let high = try RecoverableSignature(r: low.r, s: subtract(RecoverableSignature.groupOrder, low.s),
                                            recoveryID: low.recoveryID ^ 1)
        seals[2] = try QBFTExtraData.CommittedSeal(bytes: high.compactRepresentation)
        #expect(try verifier.verify(header(round: 0, seals: seals)) == Array(validators[0..<3]))
        // ... but not twice: the original and its twin are the same committer.
        seals.append(good.committedSeals[2])
        expectFailure(verifier, try header(round: 0, seals: seals), .duplicateSeal)
    }

    @Test func validatorSetFromTrustedHeader() throws {
        let parent = try header(round: 0, number: 41)
        let verifier = try QBFTSealVerifier(validatorsAfter: parent)
        #expect(verifier.validators == validators)
        try verifier.verify(sealed(round: 3, by: [keys[1], keys[2], keys[3]]))
    }

    @Test func invalidValidatorSetsAreRejected() {
        #expect { _ = try QBFTSealVerifier(validators: []) } throws: {
            ($0 as? LightClientError)?.code == .invalidValidatorSet
        }
        #expect { _ = try QBFTSealVerifier(validators: [validators[0], validators[1], validators[0]]) } throws: {
            ($0 as? LightClientError)?.code == .invalidValidatorSet
        }
    }

    @Test func smallerSetsUseTheSameRule() throws {
        // n = 1 needs 1 seal, n = 3 needs 2.
        let single = try QBFTSealVerifier(validators: [validators[0]])
        #expect(single.quorum == 1)
        let three = try QBFTSealVerifier(validators: Array(validators[0..<3]))
        #expect(three.quorum == 2)
        try three.verify(sealed(round: 0, by: [keys[0], keys[2]]))
        expectFailure(three, try sealed(round: 0, by: [keys[1]]), .insufficientSeals)
        try single.verify(sealed(round: 0, by: [keys[0]]))
    }
}
