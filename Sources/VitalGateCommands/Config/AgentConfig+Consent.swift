public import Consent
import ConsentDocuments
import Fleet
public import Ingest
import Telemetry

extension AgentConfig {
    /// The deployment's consent policy (`[consent]`). Off (the default): every disclosure is
    /// permitted, as before consent existed. On: treatment (`TREAT`) by `treatment_recipients`
    /// is permitted every class, everything else is denied unless a patient's record permits it;
    /// `break_glass` recipients may use `ETREAT`.
    public var consentPolicy: ConsentPolicy {
        guard consent.enabled else { return ConsentPolicy(defaultProvision: ConsentProvision(type: .permit)) }
        var policy = ConsentPolicy.treatmentOnly(by: Set(consent.treatmentRecipients))
        policy.breakGlassRecipients = Set(consent.breakGlass)
        return policy
    }

    /// A new, empty consent book under ``consentPolicy`` with the settings that fill it: the
    /// authority keys read from `consent.authority_keys_file` (none: no documents taken) and the
    /// gateway's groups (`fleet.groups`). The agent creates one per run and gives the same book
    /// to ingest (which loads and updates it) and to whatever lets data leave.
    /// - Throws: ``ConfigError`` naming `consent.authority_keys_file` when it cannot be read or parsed.
    public func consentSettings() throws(ConfigError) -> ConsentSettings {
        let authority = consent.enabled && !consent.authorityKeysFile.isEmpty
            ? try Self.readConsentAuthority(path: consent.authorityKeysFile) : nil
        return ConsentSettings(book: ConsentBook(policy: consentPolicy), authority: authority, groups: fleet.groups)
    }

    /// Reads a consent authority file.
    static func readConsentAuthority(path: String) throws(ConfigError) -> ConsentAuthority {
        let text = try TextFile.read(path, key: "consent.authority_keys_file")
        do {
            return try ConsentAuthority(json: try JSONParser(maxBytes: 256 * 1024, maxDepth: 8).parse(text))
        } catch let error as ConfigRejection {
            throw ConfigError(.invalidSetting, key: "consent.authority_keys_file", "\(path): \(error.reason)")
        } catch {
            throw ConfigError(.invalidSetting, key: "consent.authority_keys_file", "\(path): not JSON (\(error))")
        }
    }
}
