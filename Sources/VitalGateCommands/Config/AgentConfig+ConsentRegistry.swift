import Consent
import EVMLedger
import EVMLightClient
import Telemetry

extension AgentConfig {
    /// `[consent.registry]`: the EVM consent registry the agent reads (docs/CONSENT-REGISTRY.md,
    /// "In the agent"). The registry lives on the `[ledger]` chain: its chain id and finality
    /// settings (`qbft_validators`, `witnesses`, `pinned_blocks`, `confirmations`, `trust`) decide
    /// which header a read trusts, and never one node's word (`trust = "single-node"` is refused).
    public struct ConsentRegistrySection: Sendable, Equatable {
        /// `contract`: the registry's address; empty: no registry is read.
        public var contract = ""
        /// `authority`: the address that deployed it and alone writes to it (pinned; proven from slot 0).
        public var authority = ""
        /// `pseudonym_key_file`: the deployment's shared registry key, 32 bytes as 64 hex digits
        /// (the authority holds the same key to name patients: ``ConsentRegistry/pseudonym(mrn:key:)``).
        public var pseudonymKeyFile = ""
        /// `grantees`: the recipient ids read (at most 32 bytes of printable ASCII each).
        public var grantees: [String] = []
        /// `purposes`: the PurposeOfUse codes read for every grantee.
        public var purposes = ["TREAT"]
        /// `poll_seconds`: time between reads of every (patient, grantee).
        public var pollSeconds = 30
        /// `max_staleness_seconds`: a trusted block older than this is not read from, and a
        /// record whose last verified read is older stops speaking (the default policy decides).
        public var maxStalenessSeconds = 600
        /// `max_age_blocks`: a trusted block further behind the node's head is refused (`stale`).
        public var maxAgeBlocks = 64
        /// `endpoint`, `endpoint_ca_file`, `endpoint_cert_file`, `endpoint_key_file`: another node of
        /// the `[ledger]` chain to read from; empty: `[ledger] endpoint` and its TLS files.
        public var endpoint = ""
        public var endpointCAFile = ""
        public var endpointCertFile = ""
        public var endpointKeyFile = ""

        /// Whether a registry is configured.
        public var isEnabled: Bool { !contract.isEmpty }

        /// The documented defaults (off).
        public init() {}
    }

    /// `[consent.registry]` is usable: addresses, grantees, purposes, ranges, a node, and a
    /// finality rule that does not rest on one node (errors name `consent.registry.*`).
    func checkConsentRegistry() throws(ConfigError) {
        let registry = consentRegistry
        guard registry.isEnabled else { return }
        func fail(_ key: String, _ reason: String) -> ConfigError {
            ConfigError(.invalidSetting, key: "consent.registry." + key, reason)
        }
        guard consent.enabled else { throw fail("contract", "needs [consent] enabled = true (off, every disclosure is permitted)") }
        guard (try? EthereumAddress(hex: registry.contract)) != nil else { throw fail("contract", "must be a 20-byte 0x address") }
        guard (try? EthereumAddress(hex: registry.authority)) != nil else { throw fail("authority", "must be a 20-byte 0x address") }
        guard !registry.pseudonymKeyFile.isEmpty else { throw fail("pseudonym_key_file", "must name the registry key file") }
        guard !registry.grantees.isEmpty, registry.grantees.allSatisfy({ ConsentRegistry.granteeWord($0) != nil }),
              Set(registry.grantees).count == registry.grantees.count else {
            throw fail("grantees", "must list 1 or more distinct recipient ids of 1-32 printable ASCII characters")
        }
        guard !registry.purposes.isEmpty, registry.purposes.allSatisfy({ PurposeOfUse(rawValue: $0) != nil }) else {
            throw fail("purposes", "must list PurposeOfUse codes (2-16 upper-case letters, e.g. TREAT, HRESCH)")
        }
        guard (1...3600).contains(registry.pollSeconds) else { throw fail("poll_seconds", "must be 1-3600") }
        guard (2 * registry.pollSeconds...604_800).contains(registry.maxStalenessSeconds) else {
            throw fail("max_staleness_seconds", "must be at least twice poll_seconds and at most 604800 (a week)")
        }
        guard (1...1_000_000).contains(registry.maxAgeBlocks) else { throw fail("max_age_blocks", "must be 1-1000000") }
        let endpoint = registry.endpoint.isEmpty ? ledger.endpoint : registry.endpoint
        guard (try? HTTPEndpoint(url: endpoint)) != nil else {
            throw fail("endpoint", "must be an http(s):// URL (empty: [ledger] endpoint, which is not set or not one)")
        }
        guard registry.endpointCertFile.isEmpty == registry.endpointKeyFile.isEmpty else {
            throw fail("endpoint_key_file", "endpoint_cert_file and endpoint_key_file must be set together (mutual TLS)")
        }
        guard ledger.chainID > 0 else { throw fail("contract", "needs [ledger] chain_id (the registry is on the ledger's chain)") }
        if ledger.qbftValidators.isEmpty {
            guard ledger.trust != "single-node" else {
                throw fail("contract", "consent cannot rest on one node's word: [ledger] trust = \"single-node\" is refused; "
                           + "configure qbft_validators, witnesses or pinned_blocks")
            }
            guard !ledger.witnesses.isEmpty || !ledger.pinnedBlocks.isEmpty else {
                throw fail("contract", "needs a finality rule in [ledger]: qbft_validators, witnesses or pinned_blocks")
            }
        }
    }

    /// The `[consent.registry]` pseudonym key: 64 hex digits (surrounding white space ignored).
    func readRegistryPseudonymKey() throws(ConfigError) -> [UInt8] {
        let key = "consent.registry.pseudonym_key_file"
        let text = try TextFile.read(consentRegistry.pseudonymKeyFile, key: key)
        guard let bytes = Hex.decode(String(text.filter { !$0.isWhitespace })), bytes.count == 32 else {
            throw ConfigError(.invalidSetting, key: key, "\(consentRegistry.pseudonymKeyFile): must hold 32 bytes as 64 hex digits")
        }
        return bytes
    }
}
