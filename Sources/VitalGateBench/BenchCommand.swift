import VitalGateCommands
public import ArgumentParser

/// `vitalgate-bench ingest|proofs|detect|drain|delivery|parsers|soak|consent-proof|disclosures`: benchmarks that report ratios and measured costs.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vitalgate-bench", abstract: "Benchmarks of the agent (build with -c release for meaningful figures).",
        version: BuildInfo.versionText,
        subcommands: [BenchIngestCommand.self, BenchProofsCommand.self, DetectBenchCommand.self, BenchDrainCommand.self, BenchDeliveryCommand.self,
                       BenchParsersCommand.self, BenchConsentProofCommand.self, BenchConsentCommand.self, BenchDisclosuresCommand.self,
                       BenchSoakCommand.self])

    public init() {}
}
