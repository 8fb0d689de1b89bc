#if canImport(Glibc)
import Glibc
#endif
import EVMLightClient
public import Ledger
import Secp256k1

/// The `evm` ledger backend: anchors checkpoints by calling the anchor contract on an
/// Ethereum-compatible chain (geth, Besu/QBFT) and proves them with verified receipts.
///
/// It never reports `.anchored` on the node's word. ``progress(of:for:)`` fetches the raw header
/// and raw receipts of the block the node says holds the transaction, checks the header hash, the
/// receipts root and the anchor event, establishes finality (descendant headers linked by parent
/// hash and agreed by witness nodes or ending at a pinned block, or QBFT commit seals of pinned
/// validators: ``FinalityGate``), builds ``EVMAnchorEvidence`` and runs
/// ``EVMEvidenceVerifier`` on it, the same code an offline auditor runs. A node caught serving
/// inconsistent data yields ``LedgerError`` `.untrustworthyNode` naming the step (`chain-id`,
/// `header-hash`, `receipts-root`, `anchor-event`, `chain-link`, `witness`, `pinned-chain`,
/// `finality`).
///
/// The backend keeps no state besides its connection: everything about a submission is in the
/// ``AnchorTicket`` (see `docs/EVM-LEDGER.md`). Calls block for at most a few node round trips.
public struct EVMLedgerBackend: LedgerBackend {
    /// The backend name in config and evidence: `evm`.
    public static let backendName = "evm"

    public var name: String { Self.backendName }

    /// The configuration.
    public let configuration: EVMLedgerConfiguration
    /// The JSON-RPC client (one kept-alive HTTP or HTTPS connection).
    public let rpc: JSONRPCClient
    let node: EthereumNode
    /// Decides finality from what the node cannot forge (seals, witnesses, pinned blocks).
    public let gate: FinalityGate
    let clock: @Sendable () -> Int64

    /// Milliseconds since the Unix epoch from the system clock.
    public static let systemClock: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Creates the backend; nothing is sent until the first call.
    /// - Parameter clock: wall-clock milliseconds (tickets' `submittedAt`, fee-bump timing).
    /// - Throws: ``LedgerError`` `.invalidConfiguration` (see ``EVMLedgerConfiguration/validate()``;
    ///   also when libcurl cannot be loaded).
    public init(configuration: EVMLedgerConfiguration,
                clock: @escaping @Sendable () -> Int64 = EVMLedgerBackend.systemClock) throws(LedgerError) {
        try configuration.validate()
        self.configuration = configuration
        rpc = try JSONRPCClient(endpoint: configuration.endpoint, transport: configuration.transport)
        node = EthereumNode(rpc: rpc)
        gate = try FinalityGate(configuration: configuration, rpc: rpc)
        self.clock = clock
    }

    /// How block hashes are computed on the configured chain.
    var headerHashing: HeaderHashing { gate.hashing }

    // MARK: Submit

    public func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
        try checkChainID()
        let previous = try replacing.map { ticket throws(LedgerError) in try EVMTicketState(ticket: ticket) }
        let sender = configuration.senderAddress
        var nonce: UInt64
        if let previous {
            nonce = previous.nonce
        } else {
            nonce = try node.transactionCount(sender, "pending")
        }
        var fees = try currentFees()
        if let previous {
            fees = try bumped(from: previous, atLeast: fees)
        }
        var attempt = 0
        while true {
            attempt += 1
            let signed = try sign(request, nonce: nonce, fees: fees)
            switch try node.sendRawTransaction(signed.rawBytes) {
            case .result(let value):
                let hash = try NodeValues.fixedData(value, "eth_sendRawTransaction", count: 32)
                guard hash == signed.hash else {
                    throw LedgerError(code: .malformedResponse,
                                      reason: "eth_sendRawTransaction returned another hash than the signed transaction's")
                }
            case .error(let code, let message):
                let lower = message.lowercased()
                if lower.contains("already known") || lower.contains("known transaction")
                    || lower.contains("already imported") || lower.contains("already in pool") {
                    break  // the very same transaction is already in the pool
                } else if lower.contains("nonce too low") || lower.contains("nonce is too low") {
                    // The nonce was used meanwhile. For a replacement: by the original (poll it)
                    // unless none of ours got mined; otherwise start over with a fresh nonce.
                    if let previous, let replacing {
                        for hash in previous.allHashes where try node.receipt(hash) != nil {
                            return replacing
                        }
                    }
                    let fresh = try node.transactionCount(sender, "pending")
                    guard attempt < 3, fresh != nonce else {
                        throw LedgerError(code: .rejected, reason: "nonce \(nonce) too low and no fresh nonce available")
                    }
                    nonce = fresh
                    continue
                } else {
                    throw LedgerError(code: .rejected, reason: "eth_sendRawTransaction rejected by the node: \(message) (code \(code))")
                }
            }
            var earlier = previous.map { $0.earlierHashes + [$0.transactionHash] } ?? []
            earlier.removeAll { $0 == signed.hash }
            let now = clock()
            let state = EVMTicketState(transaction: signed, maxFeePerGas: fees.maxFee, maxPriorityFeePerGas: fees.priority,
                                       submittedAt: now, earlierHashes: earlier)
            return AnchorTicket(backend: name, state: state.encoded(), submittedAt: now)
        }
    }

    /// The node must be on the configured chain.
    func checkChainID() throws(LedgerError) {
        let reported = try node.chainID()
        guard reported == configuration.chainID else {
            throw LedgerError(code: .untrustworthyNode,
                              reason: "the node reports chain id \(reported), configured \(configuration.chainID)",
                              step: "chain-id")
        }
    }

    /// Fees per gas, in wei.
    struct Fees: Sendable, Equatable {
        var maxFee: UInt64
        var priority: UInt64
    }

    /// Fees from the node's suggestion and the latest base fee, within the policy.
    func currentFees() throws(LedgerError) -> Fees {
        try Self.currentFees(node: node, policy: configuration.fees)
    }

    /// Fees from `node`'s suggestion and latest base fee, within `policy`.
    static func currentFees(node: EthereumNode, policy: EVMLedgerConfiguration.FeePolicy) throws(LedgerError) -> Fees {
        let suggested = try node.maxPriorityFeePerGas().uint64Value ?? policy.maximumPriorityFeePerGas
        let priority = min(max(suggested, policy.minimumPriorityFeePerGas), policy.maximumPriorityFeePerGas)
        let baseFee = try node.latestBaseFee().uint64Value ?? policy.maximumFeePerGas
        let (doubled, overflow) = baseFee.multipliedReportingOverflow(by: 2)
        let wanted = overflow ? UInt64.max : doubled.addingReportingOverflow(priority).overflow ? UInt64.max : doubled + priority
        let maxFee = min(wanted, policy.maximumFeePerGas)
        return Fees(maxFee: maxFee, priority: min(priority, maxFee))
    }

    /// Fees for a replacement of `previous`: at least `current` and at least the policy's bump
    /// over the previous fees, within the caps.
    /// - Throws: ``LedgerError`` `.rejected` when the caps leave no room for a valid bump.
    func bumped(from previous: EVMTicketState, atLeast current: Fees) throws(LedgerError) -> Fees {
        let policy = configuration.fees
        let maxFee = max(current.maxFee, Self.bump(previous.maxFeePerGas, basisPoints: policy.bumpBasisPoints))
        let priority = max(current.priority, Self.bump(previous.maxPriorityFeePerGas, basisPoints: policy.bumpBasisPoints))
        guard maxFee <= policy.maximumFeePerGas, priority <= policy.maximumPriorityFeePerGas, priority <= maxFee else {
            throw LedgerError(code: .rejected,
                              reason: "fee cap reached: a replacement needs maxFeePerGas \(maxFee) and priority \(priority) wei")
        }
        return Fees(maxFee: maxFee, priority: priority)
    }

    /// `value` increased by at least `basisPoints / 10000`, rounded up (saturating).
    static func bump(_ value: UInt64, basisPoints: UInt64) -> UInt64 {
        let whole = (value / 10_000).multipliedReportingOverflow(by: basisPoints)
        let part = ((value % 10_000) * min(basisPoints, 1 << 40) + 9_999) / 10_000
        guard !whole.overflow else { return UInt64.max }
        let increase = whole.partialValue.addingReportingOverflow(part)
        guard !increase.overflow else { return UInt64.max }
        let (sum, overflow) = value.addingReportingOverflow(increase.partialValue)
        return overflow ? UInt64.max : sum
    }

    /// Signs the anchor transaction for `request`.
    func sign(_ request: AnchorRequest, nonce: UInt64, fees: Fees) throws(LedgerError) -> SignedTransaction {
        let transaction = EIP1559Transaction(
            chainId: configuration.chainID, nonce: nonce, maxPriorityFeePerGas: Quantity(fees.priority),
            maxFeePerGas: Quantity(fees.maxFee), gasLimit: configuration.gasLimit, to: configuration.contract,
            data: AnchorContract.calldata(for: request))
        do {
            return try transaction.sign(with: configuration.ledgerKey)
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "signing the anchor transaction failed", underlying: error)
        }
    }
}
