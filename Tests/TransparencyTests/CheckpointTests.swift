import Cryptography
import Testing
import Transparency

@Suite("C2SP tlog-checkpoint")
struct CheckpointTests {
    static let root = MerkleHasher.leafHash([1, 2, 3])

    @Test func bodyRoundTrip() throws {
        let checkpoint = try Checkpoint(origin: "vitalgate.example/gw-1", size: 20_852_163, rootHash: Self.root)
        let body = checkpoint.body
        #expect(body.hasPrefix("vitalgate.example/gw-1\n20852163\n"))
        #expect(body.split(separator: "\n").count == 3)
        #expect(try Checkpoint(parsing: body) == checkpoint)
        let extended = try Checkpoint(origin: "o", size: 0, rootHash: MerkleHasher.emptyTreeRoot,
                                      extensions: ["ext one", "ext two"])
        #expect(extended.body == "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\next two\n")
        #expect(try Checkpoint(parsing: extended.body) == extended)
    }

    @Test func specExampleBodyParses() throws {
        let checkpoint = try Checkpoint(
            parsing: "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(checkpoint.rootHash.count == 32)
        #expect(checkpoint.extensions.isEmpty)
    }

    @Test(arguments: [
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",               // no final newline
        "o\n1\n",                                                          // two lines
        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",             // empty origin
        "o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",           // leading zero
        "o\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",           // sign
        "o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",           // negative
        "o\n 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",           // space
        "o\n\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",             // empty size
        "o\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", // 2^64
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",           // non-canonical base64
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",            // no padding
        "o\n1\nAAAA\n",                                                    // 3-byte hash
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",         // empty extension line
        "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\n",    // empty trailing extension
    ])
    func malformedBodiesAreRejected(_ body: String) {
        #expect(throws: NoteError.self) { try Checkpoint(parsing: body) }
    }

    @Test func largestSizeParses() throws {
        let body = "o\n18446744073709551615\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        #expect(try Checkpoint(parsing: body).size == UInt64.max)
    }

    @Test func logSignedCheckpointVerifies() throws {
        var tree = MerkleTree()
        (0..<10).forEach { tree.append(leaf: [UInt8($0)]) }
        let log = try NoteSigner(name: "vitalgate.example/gw-1", privateKey: Ed25519.PrivateKey())
        let checkpoint = try Checkpoint(origin: log.name, size: tree.count, rootHash: tree.rootHash)
        let signed = try SignedCheckpoint(checkpoint: checkpoint, logSigner: log)
        let verified = try SignedCheckpoint.open(signed.serialized, origin: log.name, logVerifier: log.verifier)
        #expect(verified.checkpoint == checkpoint)
        #expect(verified.cosignatures.isEmpty)
        // The verified root is what inclusion proofs are checked against.
        try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: 3), leafIndex: 3,
                                           treeSize: verified.checkpoint.size,
                                           proof: tree.inclusionProof(leafIndex: 3, treeSize: tree.count),
                                           root: verified.checkpoint.rootHash)
        // Wrong origin, other log key.
        #expect(throws: NoteError.self) {
            try SignedCheckpoint.open(signed.serialized, origin: "other.example/log", logVerifier: log.verifier)
        }
        let otherLog = try NoteSigner(name: log.name, privateKey: Ed25519.PrivateKey())
        #expect(throws: NoteError.self) {
            try SignedCheckpoint.open(signed.serialized, origin: log.name, logVerifier: otherLog.verifier)
        }
    }
}
