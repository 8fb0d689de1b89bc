import Cryptography
import Sealing
import Testing

@Suite("BatchHeader encoding, hash and signature")
struct BatchHeaderTests {
    static func header(sequence: UInt64 = 5) throws -> BatchHeader {
        try BatchHeader(gatewayID: "gw", sequence: sequence, firstReceivedAt: -2, lastReceivedAt: 1_700_000_000_000,
                        size: 256, root: [UInt8](repeating: 0xAA, count: 32),
                        previousHash: [UInt8](repeating: 0xBB, count: 32), configVersion: "seal-v1")
    }

    @Test("encoding v1 has the documented layout")
    func layout() throws {
        let encoded = try Self.header().encoded
        var expected = Array("vitalgate.batch-header".utf8) + [0x00, 0x01]
        expected += [2] + Array("gw".utf8)
        expected += [0, 0, 0, 0, 0, 0, 0, 5]
        expected += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
        expected += [0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00]
        expected += [0x00, 0x00, 0x01, 0x00]
        expected += [UInt8](repeating: 0xAA, count: 32) + [UInt8](repeating: 0xBB, count: 32)
        expected += [7] + Array("seal-v1".utf8)
        #expect(encoded == expected)
        #expect(try Self.header().hash == SHA256.hash(expected))
    }

    @Test("decoding round-trips and is strict")
    func decoding() throws {
        let header = try Self.header()
        let encoded = header.encoded
        #expect(try BatchHeader(encoded: encoded) == header)
        #expect(throws: SealingError.self) { try BatchHeader(encoded: encoded + [0]) }
        for length in [0, 10, 23, 24, encoded.count - 1] {
            #expect(throws: SealingError.self) { try BatchHeader(encoded: Array(encoded.prefix(length))) }
        }
        #expect(throws: SealingError.self) { try BatchHeader(encoded: encoded.flipping(0)) }   // tag
        #expect(throws: SealingError.self) { try BatchHeader(encoded: encoded.flipping(23)) }  // version
        // size 0 and first > last are not headers.
        var zeroSize = encoded
        zeroSize.replaceSubrange(51..<55, with: [0, 0, 0, 0])
        #expect(throws: SealingError.self) { try BatchHeader(encoded: zeroSize) }
        var reversed = encoded
        reversed.replaceSubrange(35..<43, with: [0x7F, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: SealingError.self) { try BatchHeader(encoded: reversed) }
    }

    @Test("field rules")
    func fieldRules() {
        let hash = [UInt8](repeating: 1, count: 32)
        func make(gateway: String = "gw", first: Int64 = 0, last: Int64 = 0, size: UInt32 = 1, root: [UInt8] = hash,
                  previous: [UInt8] = hash, config: String = "v1", version: UInt8 = 1) throws -> BatchHeader {
            try BatchHeader(version: version, gatewayID: gateway, sequence: 0, firstReceivedAt: first,
                            lastReceivedAt: last, size: size, root: root, previousHash: previous, configVersion: config)
        }
        #expect(throws: Never.self) { try make() }
        #expect(throws: SealingError.self) { try make(gateway: "") }
        #expect(throws: SealingError.self) { try make(gateway: String(repeating: "g", count: 256)) }
        #expect(throws: SealingError.self) { try make(gateway: "a\nb") }
        #expect(throws: SealingError.self) { try make(config: "") }
        #expect(throws: SealingError.self) { try make(first: 2, last: 1) }
        #expect(throws: SealingError.self) { try make(size: 0) }
        #expect(throws: SealingError.self) { try make(root: [1]) }
        #expect(throws: SealingError.self) { try make(previous: []) }
        #expect(throws: SealingError.self) { try make(version: 2) }
    }

    @Test("signature verifies under the identity key only, and covers every field")
    func signature() throws {
        let key = Ed25519.PrivateKey()
        let header = try Self.header()
        let signed = try header.signed(with: key)
        #expect(signed.signature.count == 64)
        #expect(throws: Never.self) { try signed.verify(publicKey: key.publicKey) }
        #expect(throws: SealingError.self) { try signed.verify(publicKey: Ed25519.PrivateKey().publicKey) }
        let moved = SignedBatchHeader(header: try Self.header(sequence: 6), signature: signed.signature)
        #expect(!moved.isValid(publicKey: key.publicKey))
        let bent = SignedBatchHeader(header: header, signature: signed.signature.flipping(10))
        #expect(!bent.isValid(publicKey: key.publicKey))
    }
}

@Suite("BatchChain")
struct BatchChainTests {
    static let key = Ed25519.PrivateKey()

    static func chain(_ count: Int, key: Ed25519.PrivateKey = key) throws -> [SignedBatchHeader] {
        var sealer = BatchSealer(gatewayID: "gw-1", configVersion: "seal-v1", identityKey: key)
        return try (0..<count).map { index in
            let (_, commitment) = Commitment.make(canonical: [UInt8(index)])
            return try sealer.seal([BatchEntry(commitment: commitment, receivedAt: Int64(index))]).signedHeader
        }
    }

    @Test("an intact chain verifies, from genesis or after a trusted header")
    func intact() throws {
        let headers = try Self.chain(6)
        #expect(headers.map(\.header.sequence) == [0, 1, 2, 3, 4, 5])
        #expect(headers[0].header.previousHash == BatchHeader.genesisPreviousHash)
        #expect(BatchChain.verify(headers, publicKey: Self.key.publicKey) == nil)
        #expect(BatchChain.verify(Array(headers[3...]), publicKey: Self.key.publicKey, after: headers[2].header) == nil)
        #expect(BatchChain.verify([], publicKey: Self.key.publicKey) == nil)
        // A run that does not start at genesis needs its predecessor.
        #expect(BatchChain.verify(Array(headers[3...]), publicKey: Self.key.publicKey)?.index == 0)
        // Continuing a chain with a restored sealer gives the same links.
        var sealer = BatchSealer(gatewayID: "gw-1", configVersion: "seal-v1", identityKey: Self.key, after: headers[5].header)
        let (_, commitment) = Commitment.make(canonical: [9])
        let next = try sealer.seal([BatchEntry(commitment: commitment, receivedAt: 9)]).signedHeader
        #expect(BatchChain.verify(headers + [next], publicKey: Self.key.publicKey) == nil)
    }

    @Test("a tampered header is reported at its index", arguments: 0..<6)
    func tampered(index: Int) throws {
        var headers = try Self.chain(6)
        let original = headers[index].header
        let altered = try BatchHeader(gatewayID: original.gatewayID, sequence: original.sequence,
                                      firstReceivedAt: original.firstReceivedAt, lastReceivedAt: original.lastReceivedAt + 1,
                                      size: original.size, root: original.root, previousHash: original.previousHash,
                                      configVersion: original.configVersion)
        headers[index] = SignedBatchHeader(header: altered, signature: headers[index].signature)
        let broken = try #require(BatchChain.verify(headers, publicKey: Self.key.publicKey))
        #expect(broken.index == index)
        #expect(broken.kind == .signature)
    }

    @Test("a re-signed altered header (stolen key) still breaks the link after it", arguments: 0..<5)
    func resigned(index: Int) throws {
        var headers = try Self.chain(6)
        let original = headers[index].header
        let altered = try BatchHeader(gatewayID: original.gatewayID, sequence: original.sequence,
                                      firstReceivedAt: original.firstReceivedAt, lastReceivedAt: original.lastReceivedAt,
                                      size: original.size, root: [UInt8](repeating: 0, count: 32),
                                      previousHash: original.previousHash, configVersion: original.configVersion)
        headers[index] = try altered.signed(with: Self.key)
        let broken = try #require(BatchChain.verify(headers, publicKey: Self.key.publicKey))
        #expect(broken.index == index + 1)
        #expect(broken.kind == .previousHash)
    }

    @Test("a removed header is reported where the gap appears", arguments: 0..<6)
    func removed(index: Int) throws {
        var headers = try Self.chain(6)
        headers.remove(at: index)
        let broken = BatchChain.verify(headers, publicKey: Self.key.publicKey)
        if index == 5 {
            #expect(broken == nil, "dropping the newest header is invisible to the chain; the log catches it")
        } else {
            #expect(broken?.index == index)
            #expect(broken?.kind == .sequence)
        }
    }

    @Test("an inserted header is reported at its index", arguments: 0..<6)
    func inserted(index: Int) throws {
        let headers = try Self.chain(6)
        // A replayed genuine header.
        var replayed = headers
        replayed.insert(headers[(index + 3) % 6], at: index)
        #expect(BatchChain.verify(replayed, publicKey: Self.key.publicKey)?.index == index)
        // A forged header from another key.
        var forged = headers
        forged.insert(try Self.chain(1, key: Ed25519.PrivateKey())[0], at: index)
        let broken = BatchChain.verify(forged, publicKey: Self.key.publicKey)
        #expect(broken?.index == index)
        #expect(broken?.kind == .signature)
    }

    @Test("the wrong pinned key breaks at index 0")
    func wrongKey() throws {
        let broken = BatchChain.verify(try Self.chain(3), publicKey: Ed25519.PrivateKey().publicKey)
        #expect(broken?.index == 0)
        #expect(broken?.kind == .signature)
    }
}
