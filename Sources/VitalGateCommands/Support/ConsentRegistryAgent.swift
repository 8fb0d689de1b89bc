import Consent
import EVMLedger
import EVMLightClient
import Ledger
import Logging
import Vault

/// The agent's consent registry sync (`[consent.registry]`): a ``ConsentRegistrySync`` reading
/// through the `[ledger]` chain's finality rule (``FinalityGateHeaderSource``) into the agent's
/// consent book, for the patients of the vault.
enum ConsentRegistryAgent {
    /// The worker for `config` filling `book` (not started); `nil` when no registry is configured.
    /// - Throws: ``ConfigError`` (exit 78) naming the `consent.registry` key at fault.
    static func make(_ config: AgentConfig, book: ConsentBook, keys: any KeyStore) throws(ConfigError) -> ConsentRegistrySync? {
        let registry = config.consentRegistry
        guard registry.isEnabled else { return nil }
        let pseudonymKey = try config.readRegistryPseudonymKey()
        let reader: ConsentRegistryReader
        do {
            reader = try makeReader(config)
        } catch {
            throw ConfigError(.invalidSetting, key: "consent.registry.contract", error.reason)
        }
        let vault = VaultPatientList(path: DataPaths(config.gateway.dataDirectory).vault, keys: keys)
        let purposes = registry.purposes.compactMap { PurposeOfUse(rawValue: $0) }
        return ConsentRegistrySync(
            configuration: .init(grantees: registry.grantees, purposes: purposes, pseudonymKey: pseudonymKey,
                                 pollMs: registry.pollSeconds * 1000,
                                 maximumStalenessSeconds: UInt64(registry.maxStalenessSeconds)),
            reader: reader, book: book, patients: { try vault.identifiers() },
            onPoll: { status in
                let shown = ConsentRegistryStatus(lastVerifiedBlock: status.lastVerifiedBlock,
                                                  lastVerifiedBlockTimestamp: status.lastVerifiedBlockTimestamp,
                                                  lastFailureStep: status.lastFailureStep)
                do throws(VaultError) { try vault.record(shown) } catch {
                    Logger(label: "vitalgate.consent-registry").warning("cannot record the registry status for stats",
                                                                       metadata: ["error": "\(error.code)"])
                }
            })
    }

    /// The reader: the registry's node (its own `endpoint`, or `[ledger]`'s), headers the
    /// `[ledger]` finality rule shows final, the pinned authority and the age limits.
    static func makeReader(_ config: AgentConfig) throws(LedgerError) -> ConsentRegistryReader {
        let registry = config.consentRegistry, ledger = config.ledger
        func file(_ path: String) -> String? { path.isEmpty ? nil : path }
        let own = !registry.endpoint.isEmpty
        let endpoint = try HTTPEndpoint(url: own ? registry.endpoint : ledger.endpoint)
        let transport = own
            ? JSONRPCClient.Transport(caFile: file(registry.endpointCAFile), certificateFile: file(registry.endpointCertFile),
                                      keyFile: file(registry.endpointKeyFile))
            : EVMLedgerSettings.transport(ledger)
        let rpc = try JSONRPCClient(endpoint: endpoint, transport: transport)
        let policy: EVMLedgerConfiguration.FinalityPolicy
        let trust: EVMLedgerConfiguration.ConfirmationTrust
        do {
            policy = ledger.qbftValidators.isEmpty
                ? .confirmations(ledger.confirmations)
                : .qbft(validators: try ledger.qbftValidators.map { try EthereumAddress(hex: $0) })
            trust = try EVMLedgerSettings.confirmationTrust(ledger)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "[ledger] finality settings: \(error)")
        }
        let gate = try FinalityGate(rpc: rpc, chainID: UInt64(ledger.chainID), policy: policy, trust: trust)
        let addresses: (registry: EthereumAddress, authority: EthereumAddress)
        do {
            addresses = (try EthereumAddress(hex: registry.contract), try EthereumAddress(hex: registry.authority))
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "registry or authority address: \(error.reason)")
        }
        return ConsentRegistryReader(
            rpc: rpc, headers: try FinalityGateHeaderSource(gate: gate),
            policy: .init(registry: addresses.registry, authority: addresses.authority,
                          maximumAgeSeconds: UInt64(registry.maxStalenessSeconds),
                          maximumAgeBlocks: UInt64(registry.maxAgeBlocks)))
    }
}
