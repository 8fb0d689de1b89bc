import Cryptography
import Telemetry
import Testing

@Suite("Ed25519")
struct Ed25519Tests {
    /// Every field but the name in hex.
    struct Vector: NamedVector {
        let name: String
        let secretKey, publicKey, message, signature: String
    }

    /// RFC 8032 section 7.1.
    static let vectors: [Vector] = [
        Vector(name: "RFC 8032 TEST 1 (empty message)",
               secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
               publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
               message: "",
               signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                   + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Vector(name: "RFC 8032 TEST 2 (one byte)",
               secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
               publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
               message: "72",
               signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                   + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Vector(name: "RFC 8032 TEST 3 (two bytes)",
               secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
               publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
               message: "af82",
               signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                   + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test(arguments: vectors)
    func signGivesTheExactSignature(_ vector: Vector) throws {
        let key = try Ed25519.PrivateKey(rawRepresentation: bytes(vector.secretKey))
        #expect(key.rawRepresentation.hexString == vector.secretKey)
        #expect(key.publicKey.rawRepresentation.hexString == vector.publicKey)
        #expect(try key.signature(for: bytes(vector.message)).hexString == vector.signature)
    }

    @Test(arguments: vectors)
    func verify(_ vector: Vector) throws {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: bytes(vector.publicKey))
        let message = bytes(vector.message)
        let signature = bytes(vector.signature)
        #expect(publicKey.isValidSignature(signature, for: message))

        #expect(!publicKey.isValidSignature(signature, for: message + [0]))
        if !message.isEmpty {
            var modified = message
            modified[0] ^= 0x01
            #expect(!publicKey.isValidSignature(signature, for: modified))
        }
        for index in [0, 31, 32, 63] {
            var modified = signature
            modified[index] ^= 0x40
            #expect(!publicKey.isValidSignature(modified, for: message))
        }
        #expect(!publicKey.isValidSignature(Array(signature.dropLast()), for: message))
        #expect(!publicKey.isValidSignature([], for: message))

        let otherKey = Ed25519.PrivateKey().publicKey
        #expect(!otherKey.isValidSignature(signature, for: message))
    }

    @Test func roundTripWithRandomKeys() throws {
        for length in [0, 1, 64, 10_000] {
            let key = Ed25519.PrivateKey()
            let message = SecureRandom.bytes(length)
            let signature = try key.signature(for: message)
            #expect(signature.count == 64)
            #expect(key.publicKey.isValidSignature(signature, for: message))
            // Deterministic signing.
            #expect(try key.signature(for: message) == signature)

            let restored = try Ed25519.PrivateKey(rawRepresentation: key.rawRepresentation)
            #expect(restored.publicKey == key.publicKey)
            #expect(try restored.signature(for: message) == signature)
            let imported = try Ed25519.PublicKey(rawRepresentation: key.publicKey.rawRepresentation)
            #expect(imported.isValidSignature(signature, for: message))
        }
        #expect(Ed25519.PrivateKey().rawRepresentation != Ed25519.PrivateKey().rawRepresentation)
    }

    @Test func keysAreSendableAndUsableConcurrently() async throws {
        let key = Ed25519.PrivateKey()
        let publicKey = key.publicKey
        let allValid = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<50).allSatisfy { round in
                        let message = [UInt8(task), UInt8(round)]
                        guard let signature = try? key.signature(for: message) else { return false }
                        return publicKey.isValidSignature(signature, for: message)
                    }
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(allValid)
    }

    @Test(arguments: [0, 31, 33, 64])
    func wrongKeyLengthsAreTypedErrors(_ length: Int) {
        let bytes = [UInt8](repeating: 1, count: length)
        let privateError = #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(rawRepresentation: bytes) }
        #expect(privateError?.code == .invalidKeyLength)
        let publicError = #expect(throws: CryptoError.self) { try Ed25519.PublicKey(rawRepresentation: bytes) }
        #expect(publicError?.code == .invalidKeyLength)
    }
}
