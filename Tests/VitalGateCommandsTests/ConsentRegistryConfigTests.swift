import Consent
import Foundation
import Testing
import Vault
@testable import VitalGateCommands
import VitalGateTesting

/// `[consent.registry]`: the keys, their checks (typed errors naming the key, exit 78), and the
/// worker the agent builds from them.
@Suite struct ConsentRegistryConfigTests {
    static let contract = "0x" + String(repeating: "ab", count: 20)
    static let authority = "0x" + String(repeating: "cd", count: 20)
    static let ledger = "[ledger]\nendpoint = \"http://node:8545\"\nchain_id = 5\nwitnesses = [\"http://witness:8545\"]\n"
    static let consent = "[consent]\nenabled = true\n"

    static func registry(_ extra: String = "", keyFile: String = "/k") -> String {
        "[consent.registry]\ncontract = \"\(contract)\"\nauthority = \"\(authority)\"\npseudonym_key_file = \"\(keyFile)\"\n"
            + "grantees = [\"research-unit\"]\n" + extra
    }

    @Test func theKeysParse() throws {
        let config = try AgentConfig.parse(Self.ledger + Self.consent + Self.registry(
            "purposes = [\"TREAT\", \"HRESCH\"]\npoll_seconds = 5\nmax_staleness_seconds = 60\nmax_age_blocks = 8\n"
            + "endpoint = \"https://reader:8545\"\nendpoint_ca_file = \"ca.pem\"\n"))
        let registry = config.consentRegistry
        #expect(registry.isEnabled && registry.contract == Self.contract && registry.authority == Self.authority)
        #expect(registry.pseudonymKeyFile == "/k" && registry.grantees == ["research-unit"])
        #expect(registry.purposes == ["TREAT", "HRESCH"] && registry.pollSeconds == 5 && registry.maxStalenessSeconds == 60)
        #expect(registry.maxAgeBlocks == 8 && registry.endpoint == "https://reader:8545" && registry.endpointCAFile == "ca.pem")
        #expect(!AgentConfig().consentRegistry.isEnabled)
    }

    @Test(arguments: [
        (registry(), "consent.registry.contract"),  // [consent] not enabled
        (consent + registry().replacingOccurrences(of: contract, with: "0x12"), "consent.registry.contract"),
        (consent + registry().replacingOccurrences(of: authority, with: "nobody"), "consent.registry.authority"),
        (consent + registry(keyFile: ""), "consent.registry.pseudonym_key_file"),
        (consent + registry().replacingOccurrences(of: "[\"research-unit\"]", with: "[]"), "consent.registry.grantees"),
        (consent + registry().replacingOccurrences(of: "research-unit", with: String(repeating: "x", count: 33)),
         "consent.registry.grantees"),
        (consent + registry("purposes = [\"treat\"]\n"), "consent.registry.purposes"),
        (consent + registry("poll_seconds = 0\n"), "consent.registry.poll_seconds"),
        (consent + registry("poll_seconds = 60\nmax_staleness_seconds = 90\n"), "consent.registry.max_staleness_seconds"),
        (consent + registry("max_age_blocks = 0\n"), "consent.registry.max_age_blocks"),
        (consent + registry(), "consent.registry.endpoint"),  // no [ledger] endpoint
        (consent + registry("endpoint = \"http://n:1\"\nendpoint_cert_file = \"c.pem\"\n"), "consent.registry.endpoint_key_file"),
        // Finality from one node's word alone is refused, explicitly opted into or not.
        ("[ledger]\nendpoint = \"http://node:8545\"\nchain_id = 5\ntrust = \"single-node\"\n" + consent + registry(),
         "consent.registry.contract"),
        ("[ledger]\nendpoint = \"http://node:8545\"\nchain_id = 5\n" + consent + registry(), "consent.registry.contract"),
    ] as [(String, String)])
    func badSettingsAreTypedErrorsNamingTheKey(text: String, key: String) {
        #expect {
            _ = try AgentConfig.parse(text, path: "t.conf")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .invalidSetting && error.key == key && error.exitStatus == .configuration
        }
    }

    @Test func theAgentBuildsTheWorkerFromAKeyFileAndRefusesABadOne() throws {
        let directory = try TemporaryDirectory()
        let keyPath = directory.appending("registry.key").path
        try (String(repeating: "5a", count: 32) + "\n").write(toFile: keyPath, atomically: true, encoding: .utf8)
        let config = try AgentConfig.parse(Self.ledger + Self.consent + Self.registry(keyFile: keyPath)
                                           + "[gateway]\ndata_dir = \"\(directory.url.path)\"\n")
        let book = ConsentBook(policy: config.consentPolicy)
        let sync = try #require(try ConsentRegistryAgent.make(config, book: book, keys: GatewayKeys.generate()))
        #expect(sync.configuration.pseudonymKey == [UInt8](repeating: 0x5A, count: 32))
        #expect(sync.configuration.grantees == ["research-unit"] && sync.configuration.purposes == [.treatment])
        #expect(sync.configuration.pollMs == 30_000 && sync.configuration.maximumStalenessSeconds == 600)
        #expect(try ConsentRegistryAgent.make(AgentConfig(), book: book, keys: GatewayKeys.generate()) == nil)

        try "not a key\n".write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect {
            _ = try ConsentRegistryAgent.make(config, book: book, keys: GatewayKeys.generate())
        } throws: { error in
            (error as? ConfigError)?.key == "consent.registry.pseudonym_key_file"
        }
    }

    @Test func statsShowsTheRecordedStatus() throws {
        let directory = try TemporaryDirectory()
        let keys = GatewayKeys.generate()
        let list = VaultPatientList(path: directory.appending("vault.sqlite").path, keys: keys)
        #expect(try list.identifiers().isEmpty)
        try list.record(ConsentRegistryStatus(lastVerifiedBlock: 812, lastVerifiedBlockTimestamp: 1_800_000_000,
                                              lastFailureStep: "storage-proof"))
        let vault = try Vault(path: directory.appending("vault.sqlite").path, keys: keys)
        let status = try #require(try vault.consentRegistryStatus())
        #expect(StatsCommand.consentRegistryLine(status, now: 1_800_000_042)
                == "consent registry  last verified block 812 (42 s old), last failure: storage-proof")
        try list.record(ConsentRegistryStatus(lastVerifiedBlock: nil, lastVerifiedBlockTimestamp: nil, lastFailureStep: nil))
        #expect(StatsCommand.consentRegistryLine(try #require(try vault.consentRegistryStatus()), now: 0)
                == "consent registry  no verified read yet")
    }
}
