import EVMLightClient
import Secp256k1
import Testing

@Suite struct RecoverableSignatureTests {
    static let order = RecoverableSignature.groupOrder
    static let hash = Keccak256.hash(Array("VitalGate".utf8))

    @Test func compactRepresentationRoundTrips() throws {
        let signature = try PrivateKey().signRecoverable(hash: Self.hash)
        let compact = signature.compactRepresentation
        #expect(compact.count == 65)
        #expect(Array(compact[0..<32]) == signature.r)
        #expect(Array(compact[32..<64]) == signature.s)
        #expect(compact[64] == signature.recoveryID)
        #expect(try RecoverableSignature(compactRepresentation: compact) == signature)
    }

    @Test func malformedSignaturesAreRejected() throws {
        let good = try PrivateKey().signRecoverable(hash: Self.hash)
        let zero = [UInt8](repeating: 0, count: 32)
        let cases: [(String, () throws -> RecoverableSignature)] = [
            ("r = 0", { try RecoverableSignature(r: zero, s: good.s, recoveryID: 0) }),
            ("s = 0", { try RecoverableSignature(r: good.r, s: zero, recoveryID: 0) }),
            ("r = n", { try RecoverableSignature(r: Self.order, s: good.s, recoveryID: 0) }),
            ("s = n", { try RecoverableSignature(r: good.r, s: Self.order, recoveryID: 0) }),
            ("s = 2^256-1", { try RecoverableSignature(r: good.r, s: [UInt8](repeating: 0xFF, count: 32), recoveryID: 0) }),
            ("recovery id 4", { try RecoverableSignature(r: good.r, s: good.s, recoveryID: 4) }),
            ("recovery id 27", { try RecoverableSignature(r: good.r, s: good.s, recoveryID: 27) }),
            ("r of 31 bytes", { try RecoverableSignature(r: good.r.dropFirst(), s: good.s, recoveryID: 0) }),
            ("s of 33 bytes", { try RecoverableSignature(r: good.r, s: [0] + good.s, recoveryID: 0) }),
            ("64-byte compact", { try RecoverableSignature(compactRepresentation: good.compactRepresentation.dropLast()) }),
            ("66-byte compact", { try RecoverableSignature(compactRepresentation: good.compactRepresentation + [0]) }),
        ]
        for (name, make) in cases {
            #expect("\(name)") { _ = try make() } throws: { ($0 as? Secp256k1Error)?.code == .invalidSignature }
        }
    }

    @Test func wrongRecoveryIDDoesNotRecoverTheSigner() throws {
        for _ in 0..<8 {
            let key = PrivateKey()
            let signature = try key.signRecoverable(hash: Self.hash)
            for recoveryID: UInt8 in 0...3 where recoveryID != signature.recoveryID {
                let wrong = try RecoverableSignature(r: signature.r, s: signature.s, recoveryID: recoveryID)
                // Either no point matches (ids 2/3 almost always) or a different key comes out.
                let recovered = try? PublicKey(recoveringFrom: wrong, hash: Self.hash)
                #expect(recovered != key.publicKey)
                if recoveryID >= 2 {
                    #expect { _ = try PublicKey(recoveringFrom: wrong, hash: Self.hash) } throws: {
                        ($0 as? Secp256k1Error)?.code == .recoveryFailed
                    }
                }
            }
        }
    }

    /// (r, n - s) with the other recovery id is the same signature's malleated twin: recovery
    /// still finds the signer, `isLowS` flags it, and libsecp256k1's verify rejects it.
    @Test func highSIsRecoverableButFlaggedAndNotVerified() throws {
        let key = PrivateKey()
        let signature = try key.signRecoverable(hash: Self.hash)
        let high = try RecoverableSignature(r: signature.r, s: subtract(Self.order, signature.s),
                                            recoveryID: signature.recoveryID ^ 1)
        #expect(signature.isLowS)
        #expect(!high.isLowS)
        #expect(try PublicKey(recoveringFrom: high, hash: Self.hash) == key.publicKey)
        #expect(try !key.publicKey.isValidSignature(high, for: Self.hash))
        #expect(try key.publicKey.isValidSignature(signature, for: Self.hash))
    }

    @Test func lowSBoundary() throws {
        let r = [UInt8](repeating: 0, count: 31) + [1]
        let half = RecoverableSignature.halfGroupOrder
        #expect(try RecoverableSignature(r: r, s: half, recoveryID: 0).isLowS)
        #expect(try !RecoverableSignature(r: r, s: increment(half), recoveryID: 0).isLowS)
        #expect(try RecoverableSignature(r: r, s: r, recoveryID: 0).isLowS)
    }

    @Test func recoveryAndVerifyRequire32ByteHashes() throws {
        let key = PrivateKey()
        let signature = try key.signRecoverable(hash: Self.hash)
        #expect { _ = try PublicKey(recoveringFrom: signature, hash: Array(Self.hash.dropLast())) } throws: {
            ($0 as? Secp256k1Error)?.code == .invalidHashLength
        }
        #expect { _ = try key.publicKey.isValidSignature(signature, for: Self.hash + [0]) } throws: {
            ($0 as? Secp256k1Error)?.code == .invalidHashLength
        }
    }

    @Test func concurrentSigningAndRecoveryShareTheContext() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for round in 0..<25 {
                        let key = PrivateKey()
                        let hash = Keccak256.hash(Array("task \(task) round \(round)".utf8))
                        let signature = try key.signRecoverable(hash: hash)
                        guard try PublicKey(recoveringFrom: signature, hash: hash) == key.publicKey else { return false }
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
