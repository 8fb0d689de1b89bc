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
        var configuration = EVMLedgerConfiguration(
            endpoint: try HTTPEndpoint(url: ledger.endpoint), chainID: UInt64(ledger.chainID),
            contract: try EthereumAddress(hex: ledger.contract), ledgerKey: try LedgerKey.derive(from: keys),
            finality: finality,
            fees: .init(maximumFeePerGas: maxFee, maximumPriorityFeePerGas: min(maxFee, 50_000_000_000)),
            transport: transport(ledger))
        configuration.confirmationTrust = try confirmationTrust(ledger)
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

    /// `[ledger]`'s witnesses (each with its TLS files, by position), pinned blocks and `trust`.
    static func confirmationTrust(_ ledger: AgentConfig.LedgerSection) throws -> EVMLedgerConfiguration.ConfirmationTrust {
        func entry(_ list: [String], _ index: Int) -> String? {
            index < list.count && !list[index].isEmpty ? list[index] : nil
        }
        var witnesses: [EVMLedgerConfiguration.Witness] = []
        for (index, url) in ledger.witnesses.enumerated() {
            let endpoint: HTTPEndpoint
            do { endpoint = try HTTPEndpoint(url: url) } catch {
                throw LedgerError(code: .invalidConfiguration, reason: "witness node \(index + 1): \(error.reason)")
            }
            witnesses.append(EVMLedgerConfiguration.Witness(endpoint: endpoint, transport: JSONRPCClient.Transport(
                caFile: entry(ledger.witnessCAFiles, index), certificateFile: entry(ledger.witnessCertFiles, index),
                keyFile: entry(ledger.witnessKeyFiles, index))))
        }
        var pins: [[UInt8]] = []
        for text in ledger.pinnedBlocks {
            guard let hash = Hex.decode(text), hash.count == 32 else {
                throw LedgerError(code: .invalidConfiguration, reason: "pinned blocks must be 32-byte hashes")
            }
            pins.append(hash)
        }
        return EVMLedgerConfiguration.ConfirmationTrust(witnesses: witnesses, pinnedBlocks: pins,
                                                        singleNode: ledger.trust == "single-node")
    }

    /// What `keys trust` pins for an auditor: chain, contract, the gateway's sender address and
    /// the finality rule; the operator's pinned blocks become trusted block hashes (an auditor adds
    /// their own, e.g. `verify --trusted-block`).
    static func trustJSON(_ configuration: EVMLedgerConfiguration) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string("evm")), ("chain_id", .number(Double(configuration.chainID))),
            ("contract", .string(configuration.contract.checksummed)),
            ("senders", .array([.string(configuration.senderAddress.checksummed)])),
        ]
        switch configuration.finality {
        case .confirmations(let count):
            members.append(("confirmations", .number(Double(count))))
            members.append(("trusted_block_hashes", .array(configuration.confirmationTrust.pinnedBlocks.map {
                .string(Hex.encode($0, prefix: true))
            })))
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
/// the full offline verifier (pinned validators). `pinned` evidence is checked against the
/// configured pinned blocks, which the node cannot forge. `confirmations` evidence: the backend
/// has just linked its headers to the node's chain (and had the witnesses agree), so the tip
/// header is pinned and everything else (header hash, receipt proof, the event, parent links, the
/// confirmation count) is re-checked.
struct WorkerEVMVerifier: AnchorEvidenceVerifier {
    let configuration: EVMLedgerConfiguration
    var evidenceTypes: [String] { [EVMAnchorEvidence.type] }

    func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) {
        let senders = [configuration.senderAddress]
        let hashing = configuration.confirmationsHeaderHashing
        let trust: EVMEvidenceVerifier.Trust
        switch configuration.finality {
        case .qbft(let validators):
            trust = .qbft(validators: validators)
        case .confirmations(let count):
            let body = try EVMAnchorEvidence(body: evidence.body)
            switch body.finality {
            case .pinned:
                let pins = configuration.confirmationTrust.pinnedBlocks
                guard !pins.isEmpty else {
                    throw LedgerError(code: .invalidEvidence, reason: "pinned evidence, but no pinned blocks configured",
                                      step: "finality")
                }
                trust = .trustedBlocks(hashes: pins, minimumConfirmations: 0, hashing: hashing)
            case .confirmations(let headers):
                guard let tip = headers.last else {
                    throw LedgerError(code: .invalidEvidence, reason: "no confirmation headers", step: "finality")
                }
                let tipHash: [UInt8]
                do { tipHash = try hashing.hash(try BlockHeader(rlp: tip)) } catch {
                    throw LedgerError(code: .invalidEvidence, reason: "the last confirmation header does not decode",
                                      step: "parse", underlying: error)
                }
                trust = .trustedBlocks(hashes: [tipHash], minimumConfirmations: count, hashing: hashing)
            case .qbft:
                throw LedgerError(code: .invalidEvidence, reason: "QBFT evidence, but confirmations configured",
                                  step: "finality")
            }
        }
        try EVMEvidenceVerifier(chainID: configuration.chainID, contract: configuration.contract, senders: senders,
                                trust: trust).verify(evidence, for: request)
    }
}
