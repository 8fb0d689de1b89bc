extension MerklePatriciaTrie {
    /// The proof for `key`: the RLP encodings of the nodes on the path from the root toward
    /// `key`, root first, skipping nodes embedded in their parent (as `eth_getProof` does).
    ///
    /// The same list proves presence (the path ends at the key's value) or absence (the path
    /// ends where the key would diverge). The empty trie yields an empty proof.
    public func proof(for key: some Collection<UInt8>) -> [[UInt8]] {
        var proof: [[UInt8]] = []
        var node = root
        var path = HexPrefix.nibbles(key)[...]
        var isRoot = true
        while !node.isEmpty {
            let encoded = RLP.encode(Self.item(node))
            if isRoot || encoded.count >= 32 { proof.append(encoded) }
            isRoot = false
            switch node {
            case .empty, .leaf:
                return proof
            case .extension(let extensionPath, let child):
                guard path.starts(with: extensionPath) else { return proof }
                path = path.dropFirst(extensionPath.count)
                node = child
            case .branch(let children, _):
                guard let nibble = path.popFirst() else { return proof }
                node = children[Int(nibble)]
            }
        }
        return proof
    }

    /// Verifies a Merkle-Patricia proof for `key` against `root` and returns the proven value,
    /// or nil when the proof shows that `key` is absent.
    ///
    /// The proof must be exactly the nodes on the path, root first: each node must hash to the
    /// reference that points at it, nodes under 32 bytes must be embedded rather than referenced,
    /// every node must be well formed, and no node may be left over. An empty proof is accepted
    /// only for the empty root.
    ///
    /// - Throws: ``LightClientError`` (`invalidRoot`, `proofHashMismatch`, `proofMissingNode`,
    ///   `proofUnusedNodes`, `malformedProofNode`).
    public static func verifyProof(root: some Collection<UInt8>, key: some Collection<UInt8>,
                                   proof: [[UInt8]]) throws(LightClientError) -> [UInt8]? {
        let root = Array(root)
        guard root.count == 32 else {
            throw LightClientError(.invalidRoot, "root must be 32 bytes, found \(root.count)")
        }
        if proof.isEmpty {
            guard root == emptyRootHash else {
                throw LightClientError(.proofMissingNode, "empty proof for a non-empty root")
            }
            return nil
        }
        var walker = ProofWalker(proof: proof)
        var node = try walker.fetch(hash: root, isRoot: true)
        var path = HexPrefix.nibbles(key)[...]
        while true {
            let next: RLPItem
            switch node {
            case .bytes(let bytes):
                // Only the empty trie's root is an empty string; it proves every key absent.
                guard bytes.isEmpty, walker.index == 1 else {
                    throw LightClientError(.malformedProofNode, "node \(walker.index - 1) is a byte string")
                }
                return try walker.finish(nil)
            case .list(let items) where items.count == 17:
                try checkBranch(items, node: walker.index - 1)
                guard let nibble = path.popFirst() else {
                    let value = items[16].bytesValue ?? []
                    return try walker.finish(value.isEmpty ? nil : value)
                }
                next = items[Int(nibble)]
            case .list(let items) where items.count == 2:
                guard let encodedPath = items[0].bytesValue, let (nodePath, isLeaf) = HexPrefix.decode(encodedPath)
                else {
                    throw LightClientError(.malformedProofNode, "node \(walker.index - 1) has a bad hex-prefix path")
                }
                if isLeaf {
                    guard let value = items[1].bytesValue, !value.isEmpty else {
                        throw LightClientError(.malformedProofNode, "leaf in node \(walker.index - 1) has no value")
                    }
                    return try walker.finish(path.elementsEqual(nodePath) ? value : nil)
                }
                guard !nodePath.isEmpty, items[1] != .empty else {
                    throw LightClientError(.malformedProofNode, "extension in node \(walker.index - 1) is empty")
                }
                guard path.starts(with: nodePath) else { return try walker.finish(nil) }
                path = path.dropFirst(nodePath.count)
                next = items[1]
            case .list(let items):
                throw LightClientError(.malformedProofNode,
                                       "node \(walker.index - 1) has \(items.count) elements, expected 2 or 17")
            }
            // Follow the reference: empty (absent), a 32-byte hash (next proof node) or embedded.
            switch next {
            case .bytes(let reference) where reference.isEmpty:
                return try walker.finish(nil)
            case .bytes(let reference):
                node = try walker.fetch(hash: reference, isRoot: false)
            case .list:
                node = next
            }
        }
    }

    /// Checks a branch node's shape: 16 references (empty, 32-byte hash or embedded node under
    /// 32 bytes) and a byte-string value.
    private static func checkBranch(_ items: [RLPItem], node: Int) throws(LightClientError) {
        for child in items.prefix(16) {
            try checkReference(child, node: node)
        }
        guard items[16].bytesValue != nil else {
            throw LightClientError(.malformedProofNode, "branch value in node \(node) is a list")
        }
    }

    private static func checkReference(_ reference: RLPItem, node: Int) throws(LightClientError) {
        switch reference {
        case .bytes(let bytes):
            guard bytes.isEmpty || bytes.count == 32 else {
                throw LightClientError(.malformedProofNode, "reference of \(bytes.count) bytes in node \(node)")
            }
        case .list:
            guard RLP.encodedLength(reference) < 32 else {
                throw LightClientError(.malformedProofNode, "embedded node of 32 bytes or more in node \(node)")
            }
        }
    }

    /// Hands out proof nodes in order, checking each against the hash that refers to it.
    private struct ProofWalker {
        let proof: [[UInt8]]
        var index = 0

        mutating func fetch(hash: [UInt8], isRoot: Bool) throws(LightClientError) -> RLPItem {
            guard hash.count == 32 else {
                throw LightClientError(.malformedProofNode, "reference of \(hash.count) bytes in node \(index - 1)")
            }
            guard index < proof.count else {
                throw LightClientError(.proofMissingNode, "the path needs node \(index), the proof has \(proof.count)")
            }
            let encoded = proof[index]
            guard Keccak256.hash(encoded) == hash else {
                throw LightClientError(.proofHashMismatch, "node \(index) does not match its reference")
            }
            guard isRoot || encoded.count >= 32 else {
                throw LightClientError(.malformedProofNode, "node \(index) is under 32 bytes but referenced by hash")
            }
            let item: RLPItem
            do {
                item = try RLP.decode(encoded)
            } catch {
                throw LightClientError(.malformedProofNode, "node \(index) is not valid RLP", underlying: error)
            }
            if case .list(let items) = item, items.count == 2 {
                // Embedded children of leaves and extensions are checked when they are followed.
                if case .list = items[1] { try MerklePatriciaTrie.checkReference(items[1], node: index) }
            }
            index += 1
            return item
        }

        func finish(_ value: [UInt8]?) throws(LightClientError) -> [UInt8]? {
            guard index == proof.count else {
                throw LightClientError(.proofUnusedNodes, "\(proof.count - index) proof nodes were not used")
            }
            return value
        }
    }
}
