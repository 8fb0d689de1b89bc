import Cryptography
import Telemetry
import Testing

@Suite("AES-256-GCM")
struct AES256GCMTests {
    /// Every field but the name in hex.
    struct Vector: NamedVector {
        let name: String
        let key, nonce, plaintext, associatedData, ciphertext, tag: String
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16 (AES-256).
    static let vectors: [Vector] = [
        Vector(name: "test case 13 (empty)", key: String(repeating: "00", count: 32),
               nonce: String(repeating: "00", count: 12), plaintext: "", associatedData: "",
               ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "test case 14", key: String(repeating: "00", count: 32),
               nonce: String(repeating: "00", count: 12), plaintext: String(repeating: "00", count: 16),
               associatedData: "", ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
               tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "test case 15", key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
               nonce: "cafebabefacedbaddecaf888",
               plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                   + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
               associatedData: "",
               ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                   + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
               tag: "b094dac5d93471bdec1a502270e3cc6c"),
        Vector(name: "test case 16 (with AAD)",
               key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
               nonce: "cafebabefacedbaddecaf888",
               plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                   + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
               associatedData: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
               ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                   + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
               tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test(arguments: vectors)
    func sealWithFixedNonce(_ vector: Vector) throws {
        let box = try AES256GCM.encrypt(bytes(vector.plaintext), key: bytes(vector.key),
                                     nonce: bytes(vector.nonce), associatedData: bytes(vector.associatedData))
        #expect(box.nonce.hexString == vector.nonce)
        #expect(box.ciphertext.hexString == vector.ciphertext)
        #expect(box.tag.hexString == vector.tag)
        #expect(box.combined.hexString == vector.nonce + vector.ciphertext + vector.tag)
        let combined = try AES256GCM.encryptCombined(bytes(vector.plaintext), key: bytes(vector.key),
                                                  nonce: bytes(vector.nonce),
                                                  associatedData: bytes(vector.associatedData))
        #expect(combined.hexString == vector.nonce + vector.ciphertext + vector.tag)
    }

    @Test(arguments: vectors)
    func openKnownBox(_ vector: Vector) throws {
        let box = try AES256GCM.EncryptedBox(combined: bytes(vector.nonce + vector.ciphertext + vector.tag))
        let plaintext = try AES256GCM.decrypt(box, key: bytes(vector.key),
                                           associatedData: bytes(vector.associatedData))
        #expect(plaintext.hexString == vector.plaintext)
    }

    enum Tamper: String, CaseIterable, Sendable {
        case ciphertextBit, tagBit, nonceBit, associatedDataBit, associatedDataDropped, wrongKey, truncatedCiphertext
    }

    @Test(arguments: Tamper.allCases)
    func tamperingIsDetected(_ tamper: Tamper) throws {
        let vector = Self.vectors[3]
        let key = bytes(vector.key)
        var aad = bytes(vector.associatedData)
        let box = try AES256GCM.encrypt(bytes(vector.plaintext), key: key, associatedData: aad)
        var nonce = box.nonce, ciphertext = box.ciphertext, tag = box.tag, openKey = key
        switch tamper {
        case .ciphertextBit: ciphertext[7] ^= 0x10
        case .tagBit: tag[15] ^= 0x01
        case .nonceBit: nonce[0] ^= 0x80
        case .associatedDataBit: aad[3] ^= 0x04
        case .associatedDataDropped: aad = []
        case .wrongKey: openKey[31] ^= 0x01
        case .truncatedCiphertext: ciphertext.removeLast()
        }
        let tampered = try AES256GCM.EncryptedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
        let error = #expect(throws: CryptoError.self) {
            try AES256GCM.decrypt(tampered, key: openKey, associatedData: aad)
        }
        #expect(error?.code == .authenticationFailure)
    }

    @Test func roundTripWithRandomKeyAndNonce() throws {
        let key = SecureRandom.bytes(32)
        for length in [0, 1, 15, 16, 17, 1000, 65_537] {
            let plaintext = SecureRandom.bytes(length)
            let aad = Array("device-7/heart_rate".utf8)
            let box = try AES256GCM.encrypt(plaintext, key: key, associatedData: aad)
            #expect(box.ciphertext.count == length)
            #expect(box.combined.count == length + 28)
            let reopened = try AES256GCM.EncryptedBox(combined: box.combined)
            #expect(reopened == box)
            #expect(try AES256GCM.decrypt(reopened, key: key, associatedData: aad) == plaintext)
        }
    }

    @Test func randomNoncesDiffer() throws {
        let key = SecureRandom.bytes(32)
        let first = try AES256GCM.encrypt([1, 2, 3], key: key, associatedData: [])
        let second = try AES256GCM.encrypt([1, 2, 3], key: key, associatedData: [])
        #expect(first.nonce != second.nonce)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongKeyLengthIsATypedError(_ length: Int) throws {
        let key = [UInt8](repeating: 0x5a, count: length)
        let sealError = #expect(throws: CryptoError.self) {
            try AES256GCM.encrypt([1], key: key, associatedData: [])
        }
        #expect(sealError?.code == .invalidKeyLength)
        let box = try AES256GCM.encrypt([1], key: SecureRandom.bytes(32), associatedData: [])
        let openError = #expect(throws: CryptoError.self) {
            try AES256GCM.decrypt(box, key: key, associatedData: [])
        }
        #expect(openError?.code == .invalidKeyLength)
        // Key bytes never appear in the description.
        #expect(sealError.map { !String(describing: $0).contains("5a5a") } ?? false)
    }

    @Test func malformedBoxesAreRejected() {
        #expect(throws: CryptoError.self) {
            try AES256GCM.encrypt([1], key: SecureRandom.bytes(32), nonce: [1, 2, 3], associatedData: [])
        }
        let short = #expect(throws: CryptoError.self) {
            try AES256GCM.EncryptedBox(combined: [UInt8](repeating: 0, count: 27))
        }
        #expect(short?.code == .invalidLength)
        let badTag = #expect(throws: CryptoError.self) {
            try AES256GCM.EncryptedBox(nonce: [UInt8](repeating: 0, count: 12), ciphertext: [], tag: [1])
        }
        #expect(badTag?.code == .invalidLength)
        let badNonce = #expect(throws: CryptoError.self) {
            try AES256GCM.EncryptedBox(nonce: [0], ciphertext: [], tag: [UInt8](repeating: 0, count: 16))
        }
        #expect(badNonce?.code == .invalidNonceLength)
    }

    @Test func minimalCombinedBoxIsEmptyPlaintext() throws {
        let key = SecureRandom.bytes(32)
        let box = try AES256GCM.encrypt([], key: key, associatedData: [9])
        #expect(box.combined.count == 28)
        #expect(try AES256GCM.decrypt(AES256GCM.EncryptedBox(combined: box.combined), key: key, associatedData: [9]) == [])
    }
}

@Suite struct AES256GCMKeyedSealerTests {
    /// The vault seals every reading of a patient with one `KeyedEncryptor`: each message must come
    /// out exactly as a fresh one-shot seal with the same nonce, and open with the key.
    @Test func aKeyedSealerMatchesOneShotSealsMessageAfterMessage() throws {
        let key = SecureRandom.bytes(32)
        let sealer = try AES256GCM.KeyedEncryptor(key: key)
        for length in [0, 1, 15, 16, 17, 300, 1_024, 4_099] {
            let plaintext = SecureRandom.bytes(length)
            let nonce = SecureRandom.bytes(AES256GCM.nonceByteCount)
            let aad = Array("reading:\(length)".utf8)
            let reused = try sealer.encryptCombined(plaintext, nonce: nonce, associatedData: aad)
            #expect(reused == (try AES256GCM.encryptCombined(plaintext, key: key, nonce: nonce, associatedData: aad)))
            #expect(try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: reused), key: key, associatedData: aad) == plaintext)
        }
    }

    @Test func aKeyedSealerRejectsBadKeysAndNonces() throws {
        #expect(throws: CryptoError.self) { try AES256GCM.KeyedEncryptor(key: SecureRandom.bytes(16)) }
        let sealer = try AES256GCM.KeyedEncryptor(key: SecureRandom.bytes(32))
        #expect(throws: CryptoError.self) { try sealer.encryptCombined([1, 2, 3], nonce: [0, 1], associatedData: []) }
        // A failed call leaves the context usable.
        #expect(try sealer.encryptCombined([1, 2, 3], nonce: SecureRandom.bytes(12), associatedData: []).count == 12 + 3 + 16)
    }
}
