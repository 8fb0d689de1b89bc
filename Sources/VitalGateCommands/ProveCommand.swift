public import ArgumentParser
import FoundationEssentials
import Sealing
import Telemetry
import Transparency
import Vault

/// `vitalgate prove READING_ID --out bundle.json`, or `vitalgate prove --disclosure ID`.
public struct ProveCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Write the proof bundle of a stored reading or disclosure (verifiable offline with `vitalgate verify`).",
        discussion: """
            With --disclosure, the record is a disclosure's (its id as `vitalgate disclosures` lists it): \
            the bundle opens the disclosure's sealed record (docs/PROOF-BUNDLE.md, "Disclosures").
            """)

    @Argument(help: "Reading id (as in `vitalgate export`).") var readingID: Int64?
    @Option(name: .long, help: ArgumentHelp("A disclosure's record id (as `vitalgate disclosures` lists it).",
                                            valueName: "id"))
    var disclosure: Int64?
    @Option(name: .long, help: "Output file (default: standard output).") var out: String?
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func validate() throws {
        guard (readingID == nil) != (disclosure == nil) else {
            throw ValidationError("give a reading id or --disclosure ID (one of them)")
        }
    }

    public func run() throws {
        let config = try agent.resolve()
        let paths = DataPaths(config.gateway.dataDirectory)
        try paths.requireVault()
        let vault = try paths.openVault()
        if let disclosure { try vault.requireDisclosureRecord(disclosure) }
        let bundle = try vault.proofBundle(readingID: readingID ?? disclosure ?? 0, gatewayID: config.gateway.id)
        try Output.write(bundle.json, to: out)
    }
}

/// `vitalgate verify bundle.json --trust trust.json`.
public struct VerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a proof bundle offline against pinned keys; exits non-zero naming the failed step.")

    @Argument(help: "Proof bundle (JSON).") var bundle: String
    @Option(name: .long, help: "Pinned keys (JSON, from `vitalgate keys trust`).") var trust: String
    @Flag(name: .long, help: "Print the report as JSON.") var json = false
    @Option(name: .long, help: ArgumentHelp(
        "A block hash the auditor trusts on the anchor chain (0x + 64 hex; repeatable). evm anchors under confirmations need one.",
        valueName: "hash"))
    var trustedBlock: [String] = []

    public init() {}

    public func run() throws {
        let trustedBlocks = try trustedBlock.map { text in
            guard let hash = [UInt8](hex: text.hasPrefix("0x") ? String(text.dropFirst(2)) : text), hash.count == 32 else {
                throw ValidationError("--trusted-block must be 32 bytes of hex")
            }
            return hash
        }
        guard let bundleBytes = FileManager.default.contents(atPath: bundle) else {
            throw ValidationError("cannot read \(bundle)")
        }
        guard let trustBytes = FileManager.default.contents(atPath: trust) else {
            throw ValidationError("cannot read \(trust)")
        }
        let anchors = try TrustAnchors(json: Array(trustBytes))
        let parsed = try ProofBundle(json: Array(bundleBytes))
        let check = AnchorChecks.check(trust: anchors, gatewayID: anchors.gatewayID ?? parsed.batch.header.gatewayID,
                                       trustedBlocks: trustedBlocks)
        let report = BundleVerifier.verify(parsed, trust: anchors, anchorCheck: check)
        print(json ? String(decoding: report.json, as: UTF8.self) : report.text)
        if !json, let line = DisclosuresCommand.provenLine(parsed, report) { print(line) }
        if !report.passed { throw ExitCode(1) }
    }
}

/// `vitalgate keys trust`: the anchors an auditor pins.
public struct TrustCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Write the trust anchors an auditor pins: gateway key, log origin and log key (no secrets).")

    @Option(name: .long, help: "Output file (default: standard output).") var out: String?
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let config = try agent.resolve()
        let paths = DataPaths(config.gateway.dataDirectory)
        let vault = try paths.openVault()
        let witnesses = try config.witnessKeys(in: vault)
        var anchors = try vault.trustAnchors(gatewayID: config.gateway.id, witnesses: witnesses,
                                             minimumCosignatures: config.sealing.minCosignatures)
        if config.ledger.backend == "evm" {
            anchors.ledger = EVMLedgerSettings.trustJSON(
                try EVMLedgerSettings.configuration(config.ledger, keys: try FileKeyStore.load(path: paths.keyFile)))
        }
        try Output.write(anchors.json, to: out)
    }
}

enum Output {
    static func write(_ bytes: [UInt8], to path: String?) throws {
        guard let path else {
            FileStream.standardOutput.write(bytes)
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ValidationError("cannot write \(path)")
        }
    }
}

/// `vitalgate checkpoint-cosigned FILE`: store witness cosignatures of one of this log's checkpoints.
public struct CosignedCheckpointCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "checkpoint-cosigned",
        abstract: "Accept a checkpoint cosigned by pinned witnesses (C2SP tlog-cosignature) and store the cosignatures.")

    @Argument(help: "The cosigned checkpoint (a C2SP signed note).") var file: String
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let config = try agent.resolve()
        guard let bytes = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let vault = try DataPaths(config.gateway.dataDirectory).openVault()
        let witnesses = try config.witnessKeys(in: vault)
        let accepted = try vault.acceptCosignedCheckpoint(Array(bytes), witnesses: witnesses, gatewayID: config.gateway.id)
        print("checkpoint \(accepted.size): stored cosignatures of \(accepted.witnesses.joined(separator: ", "))")
    }
}

/// `vitalgate consistency --from A --to B`: the embedded log's consistency proof between two checkpoints.
public struct ConsistencyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Print the RFC 6962 consistency proof between two stored checkpoints, with both signed notes (JSON).")

    @Option(name: .long, help: "Older checkpoint's tree size.") var from: UInt64
    @Option(name: .long, help: "Newer checkpoint's tree size.") var to: UInt64
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let config = try agent.resolve()
        let vault = try DataPaths(config.gateway.dataDirectory).openVault()
        let result = try vault.consistencyProof(from: from, to: to)
        print(JSONWriter.canonicalString(.object([
            ("old_checkpoint", .string(result.old)), ("new_checkpoint", .string(result.new)),
            ("proof", .array(result.proof.map { .string($0.hexString) })),
        ])))
    }
}
