import Ledger

extension EVMLedgerConfiguration {
    /// A second JSON-RPC node, configured independently of the primary (its own URL and TLS
    /// files), that must report the same blocks before an anchor counts as final.
    public struct Witness: Sendable, Hashable {
        /// The node's JSON-RPC endpoint.
        public var endpoint: HTTPEndpoint
        /// Its TLS files (CA bundle, client certificate and key: mutual TLS) and time limits.
        public var transport: JSONRPCClient.Transport

        /// Creates a witness.
        public init(endpoint: HTTPEndpoint, transport: JSONRPCClient.Transport = JSONRPCClient.Transport()) {
            self.endpoint = endpoint
            self.transport = transport
        }
    }

    /// What backs `.confirmations` finality beside the node that served the anchor (see
    /// ``FinalityGate``). The primary node can forge an anchor block and any number of linked
    /// descendants; it cannot forge a block hash the operator pinned, nor make independently
    /// configured nodes agree with it.
    ///
    /// - ``witnesses``: every witness must report, at the anchor's height and at each
    ///   confirmation's height, the block hashes the primary served (and the same chain id).
    /// - ``pinnedBlocks``: the anchor block must be an ancestor of (or equal to) one of these
    ///   blocks, linked by parent hash through headers the primary serves by hash.
    /// - ``singleNode``: neither; the primary's word alone. Protects only against accidents
    ///   (a node that reorganised, a bug), never against a node that lies. Off by default, and
    ///   `validate()` refuses confirmations with none of the three.
    public struct ConfirmationTrust: Sendable, Hashable {
        /// Other nodes that must agree with the primary.
        public var witnesses: [Witness]
        /// Block hashes the operator pinned (32 bytes each, per the chain's header hashing).
        public var pinnedBlocks: [[UInt8]]
        /// Accept the primary node's word alone (development chains, tests).
        public var singleNode: Bool

        /// The most witnesses a configuration may name.
        public static let maximumWitnesses = 8
        /// The most pinned block hashes a configuration may name.
        public static let maximumPinnedBlocks = 64

        /// Creates trust settings; the default (nothing) is refused by `validate()` under
        /// `.confirmations`.
        public init(witnesses: [Witness] = [], pinnedBlocks: [[UInt8]] = [], singleNode: Bool = false) {
            self.witnesses = witnesses
            self.pinnedBlocks = pinnedBlocks
            self.singleNode = singleNode
        }

        /// The name of the mode for logs and metrics: `witnesses`, `pinned`, `witnesses+pinned`
        /// or `single-node`.
        public var modeName: String {
            switch (witnesses.isEmpty, pinnedBlocks.isEmpty) {
            case (false, false): "witnesses+pinned"
            case (false, true): "witnesses"
            case (true, false): "pinned"
            case (true, true): singleNode ? "single-node" : "none"
            }
        }

        /// Checks that something backs the confirmations and that the witnesses are usable.
        /// - Throws: ``LedgerError`` `.invalidConfiguration`.
        func validate(primary: HTTPEndpoint) throws(LedgerError) {
            func invalid(_ reason: String) -> LedgerError { LedgerError(code: .invalidConfiguration, reason: reason) }
            guard !witnesses.isEmpty || !pinnedBlocks.isEmpty || singleNode else {
                throw invalid("confirmations from one node alone are not final: configure witness nodes or pinned "
                              + "block hashes, or QBFT validators (or opt in to single-node trust explicitly)")
            }
            guard witnesses.count <= Self.maximumWitnesses else {
                throw invalid("at most \(Self.maximumWitnesses) witness nodes")
            }
            guard pinnedBlocks.count <= Self.maximumPinnedBlocks, pinnedBlocks.allSatisfy({ $0.count == 32 }) else {
                throw invalid("pinned block hashes: at most \(Self.maximumPinnedBlocks), 32 bytes each")
            }
            for (offset, witness) in witnesses.enumerated() {
                let index = offset + 1
                guard witness.endpoint != primary else {
                    throw invalid("witness node \(index) is the primary node itself")
                }
                guard witnesses[..<offset].allSatisfy({ $0.endpoint != witness.endpoint }) else {
                    throw invalid("witness node \(index) is named twice")
                }
                guard witness.endpoint.scheme == .https || !witness.transport.usesTLSFiles else {
                    throw invalid("witness node \(index): a CA bundle or client certificate needs an https:// endpoint")
                }
                guard (witness.transport.certificateFile == nil) == (witness.transport.keyFile == nil) else {
                    throw invalid("witness node \(index): the client certificate and its key must be set together")
                }
            }
        }
    }
}
