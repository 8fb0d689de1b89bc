import EVMLightClient
import Telemetry
import Testing

@Suite struct QBFTTests {
    static let validators = [
        hex("44add0ec310f115a0e603b2d7db9f067778eaf8a"), hex("294fc7e8f22b3bcdcf955dd7ff3ba2ed833f8212"),
        hex("6beaaed781d2d2ab6350f5c4566a2c6eaac407a6"), hex("8be76812f765c24641ec63dc2852b378aba2b440"),
    ]

    static func seal(_ fill: UInt8, v: UInt8) throws -> QBFTExtraData.CommittedSeal {
        try QBFTExtraData.CommittedSeal(bytes: [UInt8](repeating: fill, count: 32) + [UInt8](repeating: fill + 1, count: 32) + [v])
    }

    static func extraData(round: UInt32, seals: [QBFTExtraData.CommittedSeal]) -> QBFTExtraData {
        QBFTExtraData(vanity: [UInt8](repeating: 0x11, count: 32), validators: validators, vote: nil,
                      round: round, committedSeals: seals)
    }

    /// A London-style (16-field) QBFT header at height 5, as Besu private networks produce.
    static func header(extraData: [UInt8], number: UInt64 = 5) throws -> BlockHeader {
        try BlockHeader(
            parentHash: [UInt8](repeating: 0x01, count: 32), ommersHash: Keccak256.hash([0xC0]),
            beneficiary: validators[1], stateRoot: [UInt8](repeating: 0x02, count: 32),
            transactionsRoot: MerklePatriciaTrie.emptyRootHash, receiptsRoot: MerklePatriciaTrie.emptyRootHash,
            logsBloom: [UInt8](repeating: 0, count: 256), difficulty: [1], number: number, gasLimit: 0x1F_FFFF_FFFF_FFFF,
            gasUsed: 0, timestamp: 0x6500_0000, extraData: extraData,
            mixHash: hex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"),
            nonce: [UInt8](repeating: 0, count: 8), baseFeePerGas: [])
    }

    /// A genesis extraData as written by Besu/GoQuorum tooling for four validators:
    /// vote is an empty list (c0), round is the scalar 0 (80), seals an empty list (c0).
    @Test func genesisStyleEncoding() throws {
        let expected = "f87aa0" + String(repeating: "00", count: 32) + "f854"
            + Self.validators.map { "94" + Hex.encode($0) }.joined() + "c080c0"
        let extra = QBFTExtraData(validators: Self.validators)
        #expect(Hex.encode(extra.encoded()) == expected)
        #expect(try QBFTExtraData(extraData: hex(expected)) == extra)
    }

    @Test func roundTripWithSealsAndVote() throws {
        var extra = Self.extraData(round: 3, seals: [try Self.seal(0xA0, v: 0), try Self.seal(0xB0, v: 1)])
        #expect(try QBFTExtraData(extraData: extra.encoded()) == extra)
        for authorize in [true, false] {
            extra.vote = .init(recipient: Self.validators[2], authorize: authorize)
            #expect(try QBFTExtraData(extraData: extra.encoded()) == extra)
        }
        let decoded = try QBFTExtraData(extraData: extra.encoded())
        #expect(decoded.round == 3)
        #expect(decoded.committedSeals.count == 2)
        #expect(decoded.committedSeals[1].r.allSatisfy { $0 == 0xB0 })
        #expect(decoded.committedSeals[1].s.allSatisfy { $0 == 0xB1 })
        #expect(decoded.committedSeals[1].v == 1)
        // Round is a minimal scalar, as Besu's writeIntScalar writes it.
        guard case .list(let fields) = try RLP.decode(extra.encoded()) else { Issue.record("not a list"); return }
        #expect(fields[3] == .bytes([3]))
        #expect(try QBFTExtraData(extraData: Self.extraData(round: 0x0102_0304, seals: []).encoded()).round == 0x0102_0304)
    }

    @Test func hashesExcludeSealsAndRound() throws {
        let seals = [try Self.seal(0xA0, v: 0), try Self.seal(0xB0, v: 1)]
        let sealed = try Self.header(extraData: Self.extraData(round: 2, seals: seals).encoded())
        let sealHash = try QBFT.hashForCommittedSeal(sealed)
        let blockHash = try QBFT.blockHash(sealed)
        #expect(sealHash != blockHash)
        #expect(sealHash != sealed.hash)
        #expect(blockHash != sealed.hash)

        // The seal hash is the hash of the header with seals removed and the round kept.
        let unsealed = try Self.header(extraData: Self.extraData(round: 2, seals: []).encoded())
        #expect(sealHash == unsealed.hash)
        // The block hash is the hash of the header with seals removed and round 0.
        let roundZero = try Self.header(extraData: Self.extraData(round: 0, seals: []).encoded())
        #expect(blockHash == roundZero.hash)

        // Another round: a different seal hash, the same block hash.
        let otherRound = try Self.header(extraData: Self.extraData(round: 5, seals: seals).encoded())
        #expect(try QBFT.hashForCommittedSeal(otherRound) != sealHash)
        #expect(try QBFT.blockHash(otherRound) == blockHash)

        // Different or fewer seals change neither hash.
        let otherSeals = try Self.header(extraData: Self.extraData(round: 2, seals: [try Self.seal(0xC0, v: 0)]).encoded())
        #expect(try QBFT.hashForCommittedSeal(otherSeals) == sealHash)
        #expect(try QBFT.blockHash(otherSeals) == blockHash)

        // Any other header field changes both.
        let otherHeight = try Self.header(extraData: Self.extraData(round: 2, seals: seals).encoded(), number: 6)
        #expect(try QBFT.hashForCommittedSeal(otherHeight) != sealHash)
        #expect(try QBFT.blockHash(otherHeight) != blockHash)
    }

    @Test func genesisIsHashedAsIs() throws {
        let genesis = try Self.header(extraData: QBFTExtraData(validators: Self.validators).encoded(), number: 0)
        #expect(try QBFT.blockHash(genesis) == genesis.hash)
        #expect(try QBFT.hashForCommittedSeal(genesis) == genesis.hash)
    }

    @Test func rejectsMalformedExtraData() throws {
        func code(_ item: RLPItem) -> LightClientError.Code? {
            do { _ = try QBFTExtraData(extraData: RLP.encode(item)); return nil } catch { return error.code }
        }
        let vanity = RLPItem.bytes([UInt8](repeating: 0, count: 32))
        let validators = RLPItem.list(Self.validators.map(RLPItem.bytes))
        let seal = RLPItem.bytes([UInt8](repeating: 1, count: 65))
        #expect(code(.list([vanity, validators, .list([]), .empty, .list([seal])])) == nil)
        #expect(code(.list([vanity, validators, .list([]), .empty])) == .malformedExtraData)
        #expect(code(.list([.bytes([0]), validators, .list([]), .empty, .list([])])) == .malformedExtraData)
        #expect(code(.list([vanity, .list([.bytes([1])]), .list([]), .empty, .list([])])) == .malformedExtraData)
        // IBFT 2.0 style: vote as an empty string, 4-byte round.
        #expect(code(.list([vanity, validators, .empty, .empty, .list([])])) == .malformedExtraData)
        #expect(code(.list([vanity, validators, .list([]), .bytes([0, 0, 0, 1]), .list([])])) == .malformedExtraData)
        #expect(code(.list([vanity, validators, .list([]), .bytes([1, 0, 0, 0, 0]), .list([])])) == .malformedExtraData)
        #expect(code(.list([vanity, validators, .list([]), .empty, .list([.bytes([1, 2])])])) == .malformedExtraData)
        #expect(code(.list([vanity, validators, .list([.bytes(Self.validators[0]), .bytes([7])]), .empty, .list([])]))
            == .malformedExtraData)
        #expect(throws: LightClientError.self) { try QBFTExtraData(extraData: [0x42]) }
        // A header whose extraData is not QBFT cannot be hashed the QBFT way.
        let plain = try Self.header(extraData: [0x42])
        #expect(throws: LightClientError.self) { try QBFT.blockHash(plain) }
    }
}
