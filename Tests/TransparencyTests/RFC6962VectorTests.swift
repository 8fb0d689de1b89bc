import Foundation
import Testing
import Transparency

/// Runs every transparency-dev/merkle vector file through ``MerkleVerifier``.
@Suite("RFC 6962 vectors (transparency-dev/merkle)")
struct RFC6962VectorTests {
    /// A vector file: the fields of its kind (`Inclusion` or `Consistency`) and those every
    /// vector has.
    struct Vector<Kind: Decodable>: Decodable {
        let kind: Kind
        let proof: [String]?
        let desc: String
        let wantErr: Bool

        private enum CodingKeys: String, CodingKey { case proof, desc, wantErr }

        init(from decoder: any Decoder) throws {
            kind = try Kind(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            proof = try container.decodeIfPresent([String].self, forKey: .proof)
            desc = try container.decode(String.self, forKey: .desc)
            wantErr = try container.decode(Bool.self, forKey: .wantErr)
        }

        init(file: String) throws { self = try JSONDecoder().decode(Self.self, from: VectorFiles.data(file)) }

        var proofBytes: [[UInt8]] { get throws { try (proof ?? []).map(base64Bytes) } }

        /// Expects `verify` to fail exactly when the vector wants an error.
        func expectOutcome(_ file: String, _ verify: () throws(MerkleProofError) -> Void) {
            var failure: MerkleProofError?
            do { try verify() } catch { failure = error }
            #expect((failure != nil) == wantErr,
                    "\(file) (\(desc)): wantErr \(wantErr), got \(failure.map(String.init(describing:)) ?? "success")")
        }
    }

    struct Inclusion: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String?
        let leafHash: String?
    }

    struct Consistency: Decodable {
        let size1, size2: UInt64
        let root1, root2: String?
    }

    static let inclusionFiles = VectorFiles.jsonFiles(under: "rfc6962/testdata/inclusion")
    static let consistencyFiles = VectorFiles.jsonFiles(under: "rfc6962/testdata/consistency")

    @Test func allVectorFilesArePresent() {
        #expect(Self.inclusionFiles.count == 98)
        #expect(Self.consistencyFiles.count == 98)
        #expect(Self.inclusionFiles.count + Self.consistencyFiles.count == 196)
    }

    @Test(arguments: inclusionFiles)
    func inclusion(_ file: String) throws {
        let vector = try Vector<Inclusion>(file: file)
        let (proof, leafHash, root) = (try vector.proofBytes, try base64Bytes(vector.kind.leafHash), try base64Bytes(vector.kind.root))
        vector.expectOutcome(file) { () throws(MerkleProofError) in
            try MerkleVerifier.verifyInclusion(leafHash: leafHash, leafIndex: vector.kind.leafIdx,
                                               treeSize: vector.kind.treeSize, proof: proof, root: root)
        }
    }

    @Test(arguments: consistencyFiles)
    func consistency(_ file: String) throws {
        let vector = try Vector<Consistency>(file: file)
        let (proof, root1, root2) = (try vector.proofBytes, try base64Bytes(vector.kind.root1), try base64Bytes(vector.kind.root2))
        vector.expectOutcome(file) { () throws(MerkleProofError) in
            try MerkleVerifier.verifyConsistency(size1: vector.kind.size1, size2: vector.kind.size2, proof: proof,
                                                 root1: root1, root2: root2)
        }
    }

    /// The happy-path vectors come from one 8-leaf tree; rebuilding it proves the builder
    /// emits the same proofs the vectors carry.
    @Test func builderReproducesHappyPathProofs() throws {
        for file in Self.inclusionFiles where file.hasSuffix("/happy-path.json") {
            let vector = try Vector<Inclusion>(file: file)
            let root = try MerkleVerifier.rootFromInclusionProof(
                leafHash: base64Bytes(vector.kind.leafHash), leafIndex: vector.kind.leafIdx,
                treeSize: vector.kind.treeSize, proof: try vector.proofBytes)
            #expect(root == (try base64Bytes(vector.kind.root)), "\(file)")
        }
    }
}
