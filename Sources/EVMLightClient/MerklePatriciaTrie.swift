/// An in-memory Ethereum Merkle-Patricia trie (Yellow Paper, appendix D).
///
/// Build it from key/value pairs and read its ``rootHash``. Nodes are RLP encoded; a child whose
/// encoding is shorter than 32 bytes is embedded in its parent, a longer one is referenced by its
/// Keccak-256 hash; the root is always hashed. As in geth, inserting an empty value deletes the
/// key (an empty value cannot be stored).
///
/// Keys are used as given. For a "secure" trie (the state and storage tries) pass
/// `Keccak256.hash(key)` as the key. Receipt, transaction and withdrawal tries use
/// `RLP(index)`; see ``orderedRootHash(_:)``.
public struct MerklePatriciaTrie: Sendable {
    indirect enum Node: Sendable {
        case empty
        case leaf(path: [UInt8], value: [UInt8])
        case `extension`(path: [UInt8], child: Node)
        case branch(children: [Node], value: [UInt8]?)

        static let emptyBranchChildren = [Node](repeating: .empty, count: 16)

        var isEmpty: Bool {
            if case .empty = self { true } else { false }
        }
    }

    /// The root of the empty trie: `keccak256(rlp(""))` =
    /// `56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421`.
    public static let emptyRootHash: [UInt8] = Keccak256.hash([0x80])

    var root: Node = .empty

    /// Creates an empty trie.
    public init() {}

    /// Creates a trie holding `pairs`, applied in order (later duplicates win, empty values delete).
    public init(_ pairs: some Sequence<(key: [UInt8], value: [UInt8])>) {
        for pair in pairs { insert(key: pair.key, value: pair.value) }
    }

    /// Builds the trie keyed by `RLP(index)` over `values`, as Ethereum does for the
    /// transactions, receipts and withdrawals of a block.
    public init(orderedValues values: some Sequence<[UInt8]>) {
        for (index, value) in values.enumerated() {
            insert(key: RLP.encode(UInt64(index)), value: value)
        }
    }

    /// The root hash of the trie keyed by `RLP(index)` over `values` (geth's `DeriveSha`).
    public static func orderedRootHash(_ values: some Sequence<[UInt8]>) -> [UInt8] {
        MerklePatriciaTrie(orderedValues: values).rootHash
    }

    /// True when the trie holds no key.
    public var isEmpty: Bool { root.isEmpty }

    /// Sets `value` for `key`; an empty `value` removes the key.
    public mutating func insert(key: some Collection<UInt8>, value: [UInt8]) {
        let path = HexPrefix.nibbles(key)
        if value.isEmpty {
            root = Self.remove(root, path[...])
        } else {
            root = Self.insert(root, path[...], value)
        }
    }

    /// Removes `key` if present.
    public mutating func remove(key: some Collection<UInt8>) {
        root = Self.remove(root, HexPrefix.nibbles(key)[...])
    }

    /// The value stored for `key`, or nil.
    public func value(for key: some Collection<UInt8>) -> [UInt8]? {
        var node = root
        var path = HexPrefix.nibbles(key)[...]
        while true {
            switch node {
            case .empty:
                return nil
            case .leaf(let leafPath, let value):
                return path.elementsEqual(leafPath) ? value : nil
            case .extension(let extensionPath, let child):
                guard path.starts(with: extensionPath) else { return nil }
                path = path.dropFirst(extensionPath.count)
                node = child
            case .branch(let children, let value):
                guard let nibble = path.popFirst() else { return value }
                node = children[Int(nibble)]
            }
        }
    }

    /// The Keccak-256 hash of the root node's RLP encoding.
    public var rootHash: [UInt8] {
        Keccak256.hash(RLP.encode(Self.item(root)))
    }

    // MARK: Insertion and removal

    private static func insert(_ node: Node, _ path: ArraySlice<UInt8>, _ value: [UInt8]) -> Node {
        switch node {
        case .empty:
            return .leaf(path: Array(path), value: value)
        case .leaf(let leafPath, let leafValue):
            let common = commonPrefixLength(leafPath[...], path)
            if common == leafPath.count && common == path.count {
                return .leaf(path: leafPath, value: value)
            }
            var children = Node.emptyBranchChildren
            var branchValue: [UInt8]?
            if common == leafPath.count {
                branchValue = leafValue
            } else {
                children[Int(leafPath[common])] = .leaf(path: Array(leafPath[(common + 1)...]), value: leafValue)
            }
            return split(children, branchValue, path, at: common, value)
        case .extension(let extensionPath, let child):
            let common = commonPrefixLength(extensionPath[...], path)
            if common == extensionPath.count {
                return .extension(path: extensionPath, child: insert(child, path.dropFirst(common), value))
            }
            var children = Node.emptyBranchChildren
            let extensionRest = extensionPath[(common + 1)...]
            children[Int(extensionPath[common])] =
                extensionRest.isEmpty ? child : .extension(path: Array(extensionRest), child: child)
            return split(children, nil, path, at: common, value)
        case .branch(var children, let branchValue):
            guard let nibble = path.first else { return .branch(children: children, value: value) }
            children[Int(nibble)] = insert(children[Int(nibble)], path.dropFirst(), value)
            return .branch(children: children, value: branchValue)
        }
    }

    private static func remove(_ node: Node, _ path: ArraySlice<UInt8>) -> Node {
        switch node {
        case .empty:
            return .empty
        case .leaf(let leafPath, _):
            return path.elementsEqual(leafPath) ? .empty : node
        case .extension(let extensionPath, let child):
            guard path.starts(with: extensionPath) else { return node }
            return wrap(prefix: extensionPath[...], remove(child, path.dropFirst(extensionPath.count)))
        case .branch(var children, var value):
            if let nibble = path.first {
                children[Int(nibble)] = remove(children[Int(nibble)], path.dropFirst())
            } else {
                value = nil
            }
            return normalizedBranch(children, value)
        }
    }

    /// Collapses a branch left with fewer than two entries (children plus value).
    private static func normalizedBranch(_ children: [Node], _ value: [UInt8]?) -> Node {
        let occupied = children.indices.filter { !children[$0].isEmpty }
        if occupied.count + (value == nil ? 0 : 1) >= 2 {
            return .branch(children: children, value: value)
        }
        if let value { return .leaf(path: [], value: value) }
        guard let only = occupied.first else { return .empty }
        return wrap(prefix: [UInt8(only)], children[only])
    }

    /// Puts `prefix` in front of `node`, merging with a leaf or extension path.
    /// The branch where an insertion of `value` at `path` diverges from an existing node at
    /// `common` nibbles: `value` goes under the branch (or is its own value when `path` ends
    /// there), and the branch hangs under the shared prefix.
    private static func split(_ children: [Node], _ branchValue: [UInt8]?, _ path: ArraySlice<UInt8>, at common: Int,
                              _ value: [UInt8]) -> Node {
        var children = children
        var branchValue = branchValue
        let rest = path.dropFirst(common)
        if let nibble = rest.first {
            children[Int(nibble)] = .leaf(path: Array(rest.dropFirst()), value: value)
        } else {
            branchValue = value
        }
        return wrap(prefix: path.prefix(common), .branch(children: children, value: branchValue))
    }

    private static func wrap(prefix: some Collection<UInt8>, _ node: Node) -> Node {
        if prefix.isEmpty { return node }
        switch node {
        case .empty: return .empty
        case .leaf(let path, let value): return .leaf(path: Array(prefix) + path, value: value)
        case .extension(let path, let child): return .extension(path: Array(prefix) + path, child: child)
        case .branch: return .extension(path: Array(prefix), child: node)
        }
    }

    private static func commonPrefixLength(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var count = 0
        for (x, y) in zip(a, b) {
            guard x == y else { break }
            count += 1
        }
        return count
    }

    // MARK: Encoding

    /// The RLP structure of `node` (children referenced by hash or embedded).
    static func item(_ node: Node) -> RLPItem {
        switch node {
        case .empty:
            return .empty
        case .leaf(let path, let value):
            return .list([.bytes(HexPrefix.encode(path, isLeaf: true)), .bytes(value)])
        case .extension(let path, let child):
            return .list([.bytes(HexPrefix.encode(path, isLeaf: false)), reference(child)])
        case .branch(let children, let value):
            return .list(children.map(reference) + [.bytes(value ?? [])])
        }
    }

    /// How a parent refers to `node`: embedded when its encoding is under 32 bytes, else its hash.
    static func reference(_ node: Node) -> RLPItem {
        let nodeItem = item(node)
        let encoded = RLP.encode(nodeItem)
        return encoded.count < 32 ? nodeItem : .bytes(Keccak256.hash(encoded))
    }
}
