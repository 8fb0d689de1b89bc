import Consent
import Foundation
import LocalBroker
import Telemetry
import Testing
import Vault
import VitalGateCommands
import VitalGateTesting

/// `disclosures`, `prove --disclosure` and `verify` as a patient's auditor uses them: the built
/// binary, run from `/`, on a vault whose disclosures a delivery worker's recorder wrote.
@Suite struct DisclosuresCommandTests {
    static let at: Int64 = 1_763_884_900_000

    /// A data directory whose vault holds two sealed disclosures of MRN-1 (the second
    /// break-glass) and one of MRN-2. Returns the agent's vault (sealing on).
    static func vaultWithDisclosures(_ workspace: AgentWorkspace) throws -> Vault {
        let paths = DataPaths(workspace.data)
        let keys = try FileKeyStore.load(path: paths.keyFile)
        let agent = try Vault(path: paths.vault, keys: keys)
        try agent.enableSealing(SealingConfiguration(gatewayID: "disc-gw"), now: 0)
        let recorder = VaultDisclosureRecorder(path: paths.vault, keys: keys)
        try recorder.record([
            Disclosure(patient: "MRN-1", recipient: "st-mary-icu", channel: .sink("fhir"), purpose: .treatment,
                       basis: .patientConsent([ConsentVersion(recordID: "consent-7", version: 3)]),
                       classes: [.vitals, .identity], recordRanges: [10...12], count: 3, disclosedAt: at),
            Disclosure(patient: "MRN-1", recipient: "er-team", channel: .export, purpose: .emergencyTreatment,
                       basis: .breakGlass, classes: [.vitals, .alerts], recordRanges: [13...13, 15...16], count: 3,
                       disclosedAt: at + 60_000),
            Disclosure(patient: "MRN-2", recipient: "st-mary-icu", channel: .sink("fhir"), purpose: .treatment,
                       basis: .defaultPolicy, classes: [.vitals], recordRanges: [14...14], count: 1, disclosedAt: at),
            // A range wider than Int can count (as a hostile bundle could carry): printed, not counted.
            Disclosure(patient: "MRN-3", recipient: "x", channel: .export, purpose: .treatment, basis: .defaultPolicy,
                       classes: [.vitals], recordRanges: [Int64.min...(1 << 62)], count: 1, disclosedAt: at),
        ])
        try agent.sealAll(now: at + 61_000)
        return agent
    }

    @Test func listsAPatientsDisclosuresAsTextAndJSONFromRoot() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        _ = try Self.vaultWithDisclosures(workspace)
        let args = ["--data-dir", workspace.data]

        let text = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-1"] + args, log: workspace.path("t.txt"))
        #expect(text.code == 0, "\(text.output)")
        let lines = text.output.split(separator: "\n").map(String.init)
        #expect(lines == [
            "2 disclosures of MRN-1's data",
            "2025-11-23T08:01:40.000Z  record 1  sink fhir -> st-mary-icu  TREAT  vitals,identity  3 records (ids 10-12)  "
                + "consent consent-7@3",
            "2025-11-23T08:02:40.000Z  record 2  BREAK-GLASS  export -> er-team  ETREAT  vitals,alerts  3 records "
                + "(ids 13,15-16)  break-glass policy",
        ], "\(text.output)")

        let json = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-1", "--json", "--since",
                                                "2025-11-23T08:02:00Z"] + args, log: workspace.path("j.txt"))
        #expect(json.code == 0, "\(json.output)")
        let parsed = try JSONParser().parse(Array(json.output.utf8))
        let entries = try #require(parsed["disclosures"]?.arrayValue)
        #expect(entries.count == 1)
        #expect(entries.first?["record_id"] == .number(2) && entries.first?["break_glass"] == .bool(true)
                && entries.first?["basis"] == .string("break_glass") && entries.first?["sealed"] == .bool(true)
                && entries.first?["ranges"] == .array([.array([.number(13), .number(13)]), .array([.number(15), .number(16)])]))
        #expect(parsed["patient"] == .string("MRN-1"))

        let wide = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-3"] + args, log: workspace.path("w.txt"))
        #expect(wide.code == 0 && wide.output.contains("(ids -9223372036854775808-4611686018427387904)"), "\(wide.output)")

        let unknown = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-404"] + args, log: workspace.path("u.txt"))
        #expect(unknown.code == 1 && unknown.output == "Error: no patient with that identifier in this vault\n",
                "\(unknown.output)")
        let noVault = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-1", "--data-dir", workspace.path("none")],
                                                  log: workspace.path("n.txt"))
        #expect(noVault.code == 66 && noVault.output.contains("Error: no vault at \(workspace.path("none"))/vault.sqlite"),
                "\(noVault.output)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("none")))  // nothing created
    }

    @Test func aDisclosureIsProvenOfflineAndStaysProvableAfterErasure() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let agent = try Self.vaultWithDisclosures(workspace)
        let args = ["--data-dir", workspace.data, "--gateway", "disc-gw"]
        let (bundle, trust) = (workspace.path("bundle.json"), workspace.path("trust.json"))
        #expect(try AgentBinary.runFromRoot(["keys", "trust", "--out", trust] + args, log: workspace.log).code == 0)
        let proved = try AgentBinary.runFromRoot(["prove", "--disclosure", "2", "--out", bundle] + args, log: workspace.log)
        #expect(proved.code == 0, "\(proved.output)")
        let good = try AgentBinary.runFromRoot(["verify", bundle, "--trust", trust], log: workspace.path("v1.txt"))
        #expect(good.code == 0 && good.output.contains("OK: reading 2 verifies"), "\(good.output)")
        #expect(good.output.hasSuffix("disclosure of MRN-1's data: 2025-11-23T08:02:40.000Z  record 2  BREAK-GLASS  "
                                      + "export -> er-team  ETREAT  vitals,alerts  3 records (ids 13,15-16)  break-glass policy\n"),
                "\(good.output)")
        // The bundle opens the disclosure's record.
        let opened = try ProofBundleText.canonical(of: bundle)
        #expect(try Disclosure(recordJSON: JSONParser().parse(opened)).isBreakGlass)

        let notOne = try AgentBinary.runFromRoot(["prove", "--disclosure", "99"] + args, log: workspace.path("p.txt"))
        #expect(notOne.code == 1 && notOne.output.contains("record 99 is not a disclosure"), "\(notOne.output)")

        let erased = try AgentBinary.runFromRoot(["erase-patient", "MRN-1", "--by", "dpo", "--yes"] + args,
                                                 log: workspace.path("e.txt"))
        #expect(erased.code == 0, "\(erased.output)")
        _ = try agent.refreshErasures()
        try agent.sealAll(now: Self.at + 120_000)
        let listed = try AgentBinary.runFromRoot(["disclosures", "--patient", "MRN-1"] + args, log: workspace.path("l.txt"))
        #expect(listed.code == 0 && listed.output.components(separatedBy: "  erased (content destroyed").count == 3,
                "\(listed.output)")
        #expect(!listed.output.contains("st-mary-icu"))
        #expect(try AgentBinary.runFromRoot(["prove", "--disclosure", "2", "--out", bundle] + args, log: workspace.log).code == 0)
        let after = try AgentBinary.runFromRoot(["verify", bundle, "--trust", trust], log: workspace.path("v2.txt"))
        #expect(after.code == 0 && after.output.contains("(content erased)") && !after.output.contains("disclosure of"),
                "\(after.output)")
        let audit = try AgentBinary.runFromRoot(["audit"] + args, log: workspace.path("a.txt"))
        #expect(audit.code == 0 && audit.output.contains("4 disclosures"), "\(audit.output)")
    }
}

/// A disclosure recorded beside the running agent (as a delivery worker's recorder does, on a
/// connection of its own) is sealed by the agent's own sealing path within a batch's age.
@Suite struct DisclosuresBesideTheAgentTests {
    @Test func theRunningAgentSealsADisclosureRecordedBesideIt() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let config = workspace.path("agent.conf")
        try "[sealing]\nbatch_max_age_ms = 1000\n".write(toFile: config, atomically: true, encoding: .utf8)
        let gateway = ["--data-dir", workspace.data, "--gateway", "disc-gw"]
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config, "--schemas", AgentBinary.schemas] + gateway,
                                                  broker: broker, publishing: 0..<10)
        defer { if agent.exitCode == nil { agent.terminate(signal: SIGKILL) } }
        Thread.sleep(forTimeInterval: 1.0)
        let paths = DataPaths(workspace.data)
        let keys = try FileKeyStore.load(path: paths.keyFile)
        let ids = try VaultDisclosureRecorder(path: paths.vault, keys: keys).recordDisclosures([
            Disclosure(patient: "MRN-7", recipient: "st-mary-icu", channel: .sink("fhir"), purpose: .treatment,
                       basis: .defaultPolicy, classes: [.vitals], recordRanges: [1...10], count: 10,
                       disclosedAt: Int64(Date().timeIntervalSince1970 * 1000)),
        ])
        // No reading arrives after it: the agent's sealing tick adopts it, its batch closes by age.
        var sealed = false
        for _ in 0..<60 where !sealed {
            Thread.sleep(forTimeInterval: 0.25)
            sealed = try Vault(path: paths.vault, keys: keys).disclosures(patient: "MRN-7").first?.sealed ?? false
        }
        #expect(sealed, "the running agent did not seal the disclosure within 15 s")
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        let (bundle, trust) = (workspace.path("bundle.json"), workspace.path("trust.json"))
        #expect(try AgentBinary.runFromRoot(["keys", "trust", "--out", trust] + gateway, log: workspace.log).code == 0)
        #expect(try AgentBinary.runFromRoot(["prove", "--disclosure", "\(ids[0])", "--out", bundle] + gateway,
                                            log: workspace.log).code == 0)
        let verified = try AgentBinary.runFromRoot(["verify", bundle, "--trust", trust], log: workspace.path("v.txt"))
        #expect(verified.code == 0 && verified.output.contains("disclosure of MRN-7's data"), "\(verified.output)")
        let audit = try AgentBinary.runFromRoot(["audit"] + gateway, log: workspace.path("a.txt"))
        #expect(audit.code == 0 && audit.output.contains("1 disclosures"), "\(audit.output)")
    }
}

/// Reads a proof bundle file's opened record.
enum ProofBundleText {
    static func canonical(of path: String) throws -> [UInt8] {
        let json = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let text = try #require(json["reading"]?["canonical"]?.stringValue)
        return try #require(Base64.decode(text))
    }
}
