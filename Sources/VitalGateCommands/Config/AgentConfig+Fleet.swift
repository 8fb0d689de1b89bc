import Fleet
import FoundationEssentials
import Ingest
import Telemetry
import Transparency
import Vault

extension AgentConfig {
    /// The fleet settings for the agent, with the pinned operator policy read from
    /// `fleet.operators_file`; `nil` when fleet configuration is disabled.
    /// - Throws: ``ConfigError`` naming `fleet.operators_file` when the file cannot be read or parsed.
    func fleetSettings() throws(ConfigError) -> FleetSettings? {
        guard fleet.enabled else { return nil }
        let policy = try Self.readOperators(path: fleet.operatorsFile)
        return FleetSettings(groups: fleet.groups, bootstrapPolicy: policy,
                             confirmTimeoutMs: Int(fleet.confirmTimeoutSeconds * 1000))
    }

    /// Reads an operators file (a trust policy JSON object).
    static func readOperators(path: String) throws(ConfigError) -> TrustPolicy {
        let text = try TextFile.read(path, key: "fleet.operators_file")
        do {
            return try TrustPolicy(json: try JSONParser(maxBytes: 256 * 1024, maxDepth: 8).parse(text))
        } catch let error as ConfigRejection {
            throw ConfigError(.invalidSetting, key: "fleet.operators_file", "\(path): \(error.reason)")
        } catch {
            throw ConfigError(.invalidSetting, key: "fleet.operators_file", "\(path): not JSON (\(error))")
        }
    }
}

extension AgentConfig {
    /// The witness keys in force: those of the latest applied fleet `sealing` section if there is
    /// one (fleet configuration overrides the file), otherwise `sealing.witness_keys`.
    func witnessKeys(in vault: Vault) throws -> [VerifierKey] {
        if fleet.enabled, let saved = try vault.fleetState(), let sealing = try FleetState(encoded: saved).sections.sealing {
            return try sealing.witnessKeys.map { try VerifierKey(parsing: $0) }
        }
        return try sealing.witnessKeys.map { try VerifierKey(parsing: $0) }
    }
}
