import Foundation
import Testing
import Transparency

/// Runs every transparency-dev/merkle vector file through ``MerkleVerifier``.
@Suite("RFC 6962 vectors (transparency-dev/merkle)")
struct RFC6962VectorTests {
    struct InclusionCase: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String?
        let leafHash: String?
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    struct ConsistencyCase: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String?
        let root2: String?
        let proof: [String]?
        let desc: String
        let wantErr: Bool
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
        let vector = try JSONDecoder().decode(InclusionCase.self, from: VectorFiles.data(file))
        let proof = try (vector.proof ?? []).map(base64Bytes)
        let leafHash = try base64Bytes(vector.leafHash)
        let root = try base64Bytes(vector.root)
        var failure: MerkleProofError?
        do {
            try MerkleVerifier.verifyInclusion(leafHash: leafHash, leafIndex: vector.leafIdx,
                                               treeSize: vector.treeSize, proof: proof, root: root)
        } catch {
            failure = error
        }
        #expect((failure != nil) == vector.wantErr,
                "\(file) (\(vector.desc)): wantErr \(vector.wantErr), got \(failure.map(String.init(describing:)) ?? "success")")
    }

    @Test(arguments: consistencyFiles)
    func consistency(_ file: String) throws {
        let vector = try JSONDecoder().decode(ConsistencyCase.self, from: VectorFiles.data(file))
        let proof = try (vector.proof ?? []).map(base64Bytes)
        let root1 = try base64Bytes(vector.root1)
        let root2 = try base64Bytes(vector.root2)
        var failure: MerkleProofError?
        do {
            try MerkleVerifier.verifyConsistency(size1: vector.size1, size2: vector.size2, proof: proof,
                                                 root1: root1, root2: root2)
        } catch {
            failure = error
        }
        #expect((failure != nil) == vector.wantErr,
                "\(file) (\(vector.desc)): wantErr \(vector.wantErr), got \(failure.map(String.init(describing:)) ?? "success")")
    }

    /// The happy-path vectors come from one 8-leaf tree; rebuilding it proves the builder
    /// emits the same proofs the vectors carry.
    @Test func builderReproducesHappyPathProofs() throws {
        for file in Self.inclusionFiles where file.hasSuffix("/happy-path.json") {
            let vector = try JSONDecoder().decode(InclusionCase.self, from: VectorFiles.data(file))
            let proof = try (vector.proof ?? []).map(base64Bytes)
            let root = try MerkleVerifier.rootFromInclusionProof(
                leafHash: base64Bytes(vector.leafHash), leafIndex: vector.leafIdx,
                treeSize: vector.treeSize, proof: proof)
            #expect(root == (try base64Bytes(vector.root)), "\(file)")
        }
    }
}
