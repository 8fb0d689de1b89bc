import EVMLedger
import EVMLightClient
import Ledger
import Telemetry
import Vault

/// The `evm` ledger as the agent and the auditor's tools configure it from `[ledger]` and from
/// the `ledger` member of `trust.json`.
enum EVMLedgerSettings {
    /// The backend configuration for `[ledger]` with the gateway's derived ledger key.
    static func configuration(_ ledger: AgentConfig.LedgerSection, keys: any KeyStore) throws -> EVMLedgerConfiguration {
        let finality: EVMLedgerConfiguration.FinalityPolicy = ledger.qbftValidators.isEmpty
            ? .confirmations(ledger.confirmations)
            : .qbft(validators: try ledger.qbftValidators.map { try EthereumAddress(hex: $0) })
        let maxFee = UInt64(ledger.maxFeeGwei) * 1_000_000_000
        let configuration = EVMLedgerConfiguration(
            endpoint: try HTTPEndpoint(url: ledger.endpoint), chainID: UInt64(ledger.chainID),
            contract: try EthereumAddress(hex: ledger.contract), ledgerKey: try LedgerKey.derive(from: keys),
            finality: finality,
            fees: .init(maximumFeePerGas: maxFee, maximumPriorityFeePerGas: min(maxFee, 50_000_000_000)),
            transport: transport(ledger))
        try configuration.validate()
        return configuration
    }

    /// The connection settings of `[ledger]`: its TLS files (`endpoint_ca_file`,
    /// `endpoint_cert_file`, `endpoint_key_file`; empty: not set) and the default time limits.
    static func transport(_ ledger: AgentConfig.LedgerSection) -> JSONRPCClient.Transport {
        func file(_ path: String) -> String? { path.isEmpty ? nil : path }
        return JSONRPCClient.Transport(caFile: file(ledger.endpointCAFile), certificateFile: file(ledger.endpointCertFile),
                                       keyFile: file(ledger.endpointKeyFile))
    }

    /// What `keys trust` pins for an auditor: chain, contract, the gateway's sender address and
    /// the finality rule (trusted block hashes are added by the auditor, e.g. `verify --trusted-block`).
    static func trustJSON(_ configuration: EVMLedgerConfiguration) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string("evm")), ("chain_id", .number(Double(configuration.chainID))),
            ("contract", .string(configuration.contract.checksummed)),
            ("senders", .array([.string(configuration.senderAddress.checksummed)])),
        ]
        switch configuration.finality {
        case .confirmations(let count):
            members.append(("confirmations", .number(Double(count))))
            members.append(("trusted_block_hashes", .array([])))
        case .qbft(let validators):
            members.append(("qbft_validators", .array(validators.map { .string($0.checksummed) })))
        }
        return .object(members)
    }

    /// The offline verifier for a trust file's `ledger` member, with `extraTrustedBlocks` added
    /// to its trusted hashes.
    static func verifier(trust ledger: JSONValue, extraTrustedBlocks: [[UInt8]]) throws -> EVMEvidenceVerifier {
        guard ledger["type"]?.stringValue == "evm",
              let chain = ledger["chain_id"]?.numberValue.flatMap({ UInt64(exactly: $0) }),
              let contract = ledger["contract"]?.stringValue,
              let senders = ledger["senders"]?.arrayValue?.compactMap(\.stringValue), !senders.isEmpty else {
            throw LedgerError(code: .invalidConfiguration,
                              reason: "trust.ledger must be {type: evm, chain_id, contract, senders, …}")
        }
        let trust: EVMEvidenceVerifier.Trust
        if let validators = ledger["qbft_validators"]?.arrayValue?.compactMap(\.stringValue), !validators.isEmpty {
            trust = .qbft(validators: try validators.map { try EthereumAddress(hex: $0) })
        } else {
            var hashes = extraTrustedBlocks
            for text in ledger["trusted_block_hashes"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                guard let hash = Hex.decode(text), hash.count == 32 else {
                    throw LedgerError(code: .invalidConfiguration, reason: "trusted block hashes must be 32 bytes of hex")
                }
                hashes.append(hash)
            }
            guard !hashes.isEmpty else {
                throw LedgerError(code: .invalidConfiguration,
                                  reason: "pin a trusted block hash (verify --trusted-block, or trust.ledger.trusted_block_hashes)")
            }
            let confirmations = Int(ledger["confirmations"]?.numberValue ?? 12)
            trust = .trustedBlocks(hashes: hashes, minimumConfirmations: confirmations)
        }
        return try EVMEvidenceVerifier(chainID: chain, contract: try EthereumAddress(hex: contract),
                                       senders: try senders.map { try EthereumAddress(hex: $0) }, trust: trust)
    }
}

/// The anchoring worker's second look at evidence the `evm` backend produced. Under QBFT it is
/// the full offline verifier (pinned validators). Under confirmations the backend has just linked
/// the evidence's headers to the node's chain, so the tip header is pinned and everything else
/// (header hash, receipt proof, the event, parent links, the confirmation count) is re-checked.
struct WorkerEVMVerifier: AnchorEvidenceVerifier {
    let configuration: EVMLedgerConfiguration
    var evidenceTypes: [String] { [EVMAnchorEvidence.type] }

    func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) {
        let senders = [configuration.senderAddress]
        switch configuration.finality {
        case .qbft(let validators):
            try EVMEvidenceVerifier(chainID: configuration.chainID, contract: configuration.contract, senders: senders,
                                    trust: .qbft(validators: validators)).verify(evidence, for: request)
        case .confirmations(let count):
            let body = try EVMAnchorEvidence(body: evidence.body)
            guard case .confirmations(let headers) = body.finality, let tip = headers.last else {
                throw LedgerError(code: .invalidEvidence, reason: "no confirmation headers", step: "finality")
            }
            let tipHash: [UInt8]
            do { tipHash = try configuration.confirmationsHeaderHashing.hash(try BlockHeader(rlp: tip)) } catch {
                throw LedgerError(code: .invalidEvidence, reason: "the last confirmation header does not decode", step: "parse",
                                  underlying: error)
            }
            try EVMEvidenceVerifier(chainID: configuration.chainID, contract: configuration.contract, senders: senders,
                                    trust: .trustedBlocks(hashes: [tipHash], minimumConfirmations: count,
                                                          hashing: configuration.confirmationsHeaderHashing))
                .verify(evidence, for: request)
        }
    }
}
