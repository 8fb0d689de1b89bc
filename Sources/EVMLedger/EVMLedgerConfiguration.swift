public import EVMLightClient
public import Ledger
public import Secp256k1

/// Everything the `evm` backend needs: where the node is, which chain and contract to trust,
/// the key that signs anchor transactions, when an anchor counts as final and what it may cost.
public struct EVMLedgerConfiguration: Sendable {
    /// When an included anchor is final.
    public enum FinalityPolicy: Sendable, Hashable {
        /// At least `n` descendant blocks, linked by parent hash (a probabilistic rule for chains
        /// whose consensus the gateway cannot check, e.g. geth dev or PoS without a beacon light
        /// client). 12 is a sensible production value; tests use 2. The node that serves the
        /// descendants can forge them: ``EVMLedgerConfiguration/confirmationTrust`` says what
        /// backs them (witness nodes, pinned block hashes), and `validate()` refuses this policy
        /// when nothing does unless ``ConfirmationTrust/singleNode`` is set.
        case confirmations(Int)
        /// Besu QBFT: the anchor block carries commit seals from at least ⌈2n/3⌉ of these
        /// pinned validators. Final immediately; block hashes are QBFT hashes.
        case qbft(validators: [EthereumAddress])
    }

    /// What the gateway is willing to pay, and when it bumps a stuck transaction.
    public struct FeePolicy: Sendable, Hashable {
        /// The highest `maxFeePerGas` ever signed, in wei.
        public var maximumFeePerGas: UInt64
        /// The highest `maxPriorityFeePerGas` ever signed, in wei.
        public var maximumPriorityFeePerGas: UInt64
        /// The lowest `maxPriorityFeePerGas` signed, in wei (used when the node suggests less).
        public var minimumPriorityFeePerGas: UInt64
        /// A transaction still pending this long after it was posted is replaced with higher fees.
        public var bumpAfter: Duration
        /// The minimum relative increase of both fees in a replacement, in basis points
        /// (1250 = 12.5%; geth and Besu require at least 10%).
        public var bumpBasisPoints: UInt64

        /// Creates a policy (defaults: cap 500 gwei, priority 1 wei…50 gwei, bump after 60 s by 12.5%).
        public init(maximumFeePerGas: UInt64 = 500_000_000_000, maximumPriorityFeePerGas: UInt64 = 50_000_000_000,
                    minimumPriorityFeePerGas: UInt64 = 1, bumpAfter: Duration = .seconds(60),
                    bumpBasisPoints: UInt64 = 1250) {
            self.maximumFeePerGas = maximumFeePerGas
            self.maximumPriorityFeePerGas = maximumPriorityFeePerGas
            self.minimumPriorityFeePerGas = minimumPriorityFeePerGas
            self.bumpAfter = bumpAfter
            self.bumpBasisPoints = bumpBasisPoints
        }
    }

    /// The node's JSON-RPC endpoint (`http://` or `https://`).
    public var endpoint: HTTPEndpoint
    /// The chain id the node must report (`eth_chainId`) and transactions are signed for.
    public var chainID: UInt64
    /// The deployed anchor contract.
    public var contract: EthereumAddress
    /// The gateway's ledger key: signs anchor transactions; its address is the event's sender.
    public var ledgerKey: PrivateKey
    /// When an anchor is final.
    public var finality: FinalityPolicy
    /// How block hashes are computed under `.confirmations` finality (`.qbft` for a Besu QBFT
    /// chain followed by confirmations); `.qbft` finality always uses QBFT hashing.
    public var confirmationsHeaderHashing: HeaderHashing = .standard
    /// The gas limit of anchor transactions (an anchor uses about 26,000 gas).
    public var gasLimit: UInt64
    /// Fees and fee bumps.
    public var fees: FeePolicy
    /// Under `.confirmations`: what, beside the node, backs the anchor block's finality
    /// (witness nodes that must agree, operator-pinned block hashes, or an explicit opt-in to
    /// one node's word). Ignored under `.qbft`.
    public var confirmationTrust: ConfirmationTrust
    /// TLS files (CA bundle, client certificate and key), time limits and the largest answer
    /// accepted from the node.
    public var transport: JSONRPCClient.Transport

    /// Creates a configuration.
    public init(endpoint: HTTPEndpoint, chainID: UInt64, contract: EthereumAddress, ledgerKey: PrivateKey,
                finality: FinalityPolicy = .confirmations(12), gasLimit: UInt64 = 60_000,
                fees: FeePolicy = FeePolicy(), transport: JSONRPCClient.Transport = JSONRPCClient.Transport(),
                confirmationTrust: ConfirmationTrust = ConfirmationTrust()) {
        self.endpoint = endpoint
        self.chainID = chainID
        self.contract = contract
        self.ledgerKey = ledgerKey
        self.finality = finality
        self.gasLimit = gasLimit
        self.fees = fees
        self.transport = transport
        self.confirmationTrust = confirmationTrust
    }

    /// The address anchor transactions come from.
    public var senderAddress: EthereumAddress { ledgerKey.publicKey.ethereumAddress }

    /// Checks the values that do not need the node.
    /// - Throws: ``LedgerError`` `.invalidConfiguration`.
    public func validate() throws(LedgerError) {
        func invalid(_ reason: String) -> LedgerError { LedgerError(code: .invalidConfiguration, reason: reason) }
        guard chainID > 0 else { throw invalid("chain id must be positive") }
        guard gasLimit >= 21_000 + 3_000 else { throw invalid("gas limit \(gasLimit) is below what an anchor needs") }
        guard fees.maximumFeePerGas > 0, fees.maximumPriorityFeePerGas <= fees.maximumFeePerGas,
              fees.minimumPriorityFeePerGas <= fees.maximumPriorityFeePerGas else {
            throw invalid("fee policy: need 0 < minimum priority ≤ maximum priority ≤ maximum fee")
        }
        guard fees.bumpBasisPoints >= 1000 else { throw invalid("fee bumps below 10% are rejected by nodes") }
        guard endpoint.scheme == .https || !transport.usesTLSFiles else {
            throw invalid("a CA bundle or client certificate needs an https:// endpoint")
        }
        guard (transport.certificateFile == nil) == (transport.keyFile == nil) else {
            throw invalid("the client certificate and its key must be set together (mutual TLS)")
        }
        guard transport.connectTimeout.wholeMilliseconds >= 1, transport.requestTimeout.wholeMilliseconds >= 1,
              transport.maximumResponseBytes >= 1024 else {
            throw invalid("time limits must be at least 1 ms and the answer limit at least 1 KiB")
        }
        switch finality {
        case .confirmations(let count):
            guard (1...EVMEvidenceVerifier.maximumDescendantHeaders).contains(count) else {
                throw invalid("confirmations must be 1...\(EVMEvidenceVerifier.maximumDescendantHeaders)")
            }
            try confirmationTrust.validate(primary: endpoint)
        case .qbft(let validators):
            do {
                _ = try QBFTSealVerifier(validators: validators)
            } catch {
                throw invalid("QBFT validator set: \(error.reason)")
            }
        }
    }
}
