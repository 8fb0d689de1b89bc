import EVMLightClient
import FuzzSupport

/// The light client's decoders: everything it reads from an untrusted node. The first byte
/// picks the decoder; the rest is its input.
///
/// Oracles: an accepted RLP item, block header or account re-encodes to exactly its input (the decoders
/// are strict, so anything accepted is canonical); a proof built from a trie of the input's
/// pairs verifies to the value stored.
func fuzzEVM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    switch selector % 8 {
    case 0:
        if let item = try? RLP.decode(body), RLP.encode(item) != body { finding("RLP accepted a non-canonical encoding") }
    case 1:
        guard let header = try? BlockHeader(rlp: body) else { return 0 }
        if header.rawRLP != body { finding("a block header does not keep its exact encoding") }
        _ = try? QBFTExtraData(extraData: header.extraData)
        _ = try? QBFTSealVerifier.committers(of: header)
    case 2:
        guard let block = try? Block(rlp: body) else { return 0 }
        _ = block.computedTransactionsRoot()
        _ = block.computedWithdrawalsRoot()
        _ = block.computedOmmersHash()
    case 3:
        _ = try? Receipt(encoded: body)
    case 4:
        // root (32) ‖ key length (1) ‖ key ‖ RLP list of proof nodes
        guard body.count >= 33 else { return 0 }
        let root = body[0..<32]
        let keyCount = Int(body[32])
        guard body.count >= 33 + keyCount else { return 0 }
        let key = body[33..<(33 + keyCount)]
        guard let list = try? RLP.decode(body[(33 + keyCount)...]).asList() else { return 0 }
        let nodes = list.compactMap { try? $0.asBytes() }
        _ = try? MerklePatriciaTrie.verifyProof(root: root, key: key, proof: nodes)
    case 5:
        // An RLP list of [key, value] pairs: the trie built from them proves each of them.
        guard let list = try? RLP.decode(body).asList() else { return 0 }
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        for element in list.prefix(32) {
            guard let pair = try? element.asList(count: 2), let key = try? pair[0].asBytes(),
                  let value = try? pair[1].asBytes(), !value.isEmpty else { return 0 }
            pairs.append((key, value))
        }
        let trie = MerklePatriciaTrie(pairs)
        let root = trie.rootHash
        for (key, _) in pairs {
            let proof = trie.proof(for: key)
            guard let proved = try? MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof),
                  proved == trie.value(for: key) else {
                finding("a proof from the trie itself does not verify")
            }
        }
    case 6:
        _ = try? SignedTransaction(rawBytes: body)
    default:
        _ = try? QBFTExtraData(extraData: body)
        // A state trie leaf (EIP-1186 account proofs end in one).
        if let account = try? AccountState(rlp: body), account.rlpEncoded != body {
            finding("an accepted account does not re-encode to its input")
        }
    }
    return 0
}
