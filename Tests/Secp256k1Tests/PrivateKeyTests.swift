import EVMLightClient
import Secp256k1
import Telemetry
import Testing

@Suite struct PrivateKeyTests {
    static let order = RecoverableSignature.groupOrder

    @Test func randomKeysSignAndRecoverRoundTrip() throws {
        for round in 0..<16 {
            let key = PrivateKey()
            let hash = Keccak256.hash(Array("message \(round)".utf8))
            let signature = try key.signRecoverable(hash: hash)
            #expect(signature.recoveryID <= 1)
            #expect(signature.isLowS)
            #expect(try PublicKey(recoveringFrom: signature, hash: hash) == key.publicKey)
            #expect(try key.publicKey.isValidSignature(signature, for: hash))
            // Another hash: the signature neither verifies nor recovers this key.
            let other = Keccak256.hash(Array("other \(round)".utf8))
            #expect(try !key.publicKey.isValidSignature(signature, for: other))
            #expect((try? PublicKey(recoveringFrom: signature, hash: other)) != key.publicKey)
            // Another key does not verify it.
            #expect(try !PrivateKey().publicKey.isValidSignature(signature, for: hash))
        }
    }

    @Test func randomKeysDiffer() {
        let keys = (0..<8).map { _ in PrivateKey().rawRepresentation }
        #expect(Set(keys).count == 8)
        #expect(keys.allSatisfy { $0.count == 32 })
    }

    @Test func signingIsDeterministic() throws {
        let key = try PrivateKey(rawRepresentation: [UInt8](repeating: 0x46, count: 32))
        let hash = Keccak256.hash(Array("deterministic".utf8))
        let first = try key.signRecoverable(hash: hash)
        #expect(try key.signRecoverable(hash: hash) == first)
        // A copy of the key restored from its bytes signs identically.
        #expect(try PrivateKey(rawRepresentation: key.rawRepresentation).signRecoverable(hash: hash) == first)
    }

    @Test func rawRepresentationRoundTrips() throws {
        let key = PrivateKey()
        let restored = try PrivateKey(rawRepresentation: key.rawRepresentation)
        #expect(restored.publicKey == key.publicKey)
        #expect(restored.rawRepresentation == key.rawRepresentation)
    }

    @Test(arguments: [
        ("zero", [UInt8](repeating: 0, count: 32)),
        ("n", RecoverableSignature.groupOrder),
        ("n + 1", increment(RecoverableSignature.groupOrder)),
        ("2^256 - 1", [UInt8](repeating: 0xFF, count: 32)),
        ("31 bytes", [UInt8](repeating: 1, count: 31)),
        ("33 bytes", [UInt8](repeating: 1, count: 33)),
        ("empty", []),
    ])
    func invalidPrivateKeysAreRejected(name: String, bytes: [UInt8]) {
        #expect {
            _ = try PrivateKey(rawRepresentation: bytes)
        } throws: { error in
            (error as? Secp256k1Error)?.code == .invalidPrivateKey
        }
    }

    @Test func boundaryPrivateKeysAreAccepted() throws {
        // 1 and n - 1 are the smallest and largest valid scalars.
        let one = [UInt8](repeating: 0, count: 31) + [1]
        let nMinusOne = subtract(Self.order, one)
        let keyOne = try PrivateKey(rawRepresentation: one)
        let keyLast = try PrivateKey(rawRepresentation: nMinusOne)
        // 1·G is the generator; (n-1)·G is its negation: same x, opposite y parity.
        #expect(Hex.encode(keyOne.publicKey.compressed)
                == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        #expect(keyLast.publicKey.compressed[1...] == keyOne.publicKey.compressed[1...])
        #expect(keyLast.publicKey.compressed[0] == 0x03)
    }

    @Test func hashMustBe32Bytes() throws {
        let key = PrivateKey()
        for length in [0, 31, 33, 64] {
            #expect {
                _ = try key.signRecoverable(hash: [UInt8](repeating: 7, count: length))
            } throws: { error in
                (error as? Secp256k1Error)?.code == .invalidHashLength
            }
        }
    }

    @Test func descriptionsNeverShowTheKey() throws {
        let raw = [UInt8](repeating: 0x46, count: 32)
        let key = try PrivateKey(rawRepresentation: raw)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), "\(key)", dumped] {
            #expect(!text.contains("4646"))
            #expect(!text.lowercased().contains(Hex.encode(raw.prefix(4))))
        }
        let error = try #require(throws: Secp256k1Error.self) { try PrivateKey(rawRepresentation: [0x46] + raw) }
        #expect(!error.description.contains("4646"))
        #expect(error.file.hasPrefix("Secp256k1/"))
    }
}
