public import ArgumentParser

/// The `vitalgate` root command.
public struct VitalGateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vitalgate",
        abstract: "Edge agent for wearable vital-sign telemetry: MQTT ingest into an encrypted, provable vault.",
        discussion: ExitStatus.helpText,
        version: BuildInfo.versionText,
        subcommands: [RunCommand.self, DemoCommand.self, SimulateCommand.self, KeysCommand.self, StatsCommand.self, ExportCommand.self, ErasePatientCommand.self, AuditCommand.self, ProveCommand.self, DisclosuresCommand.self, VerifyCommand.self, CosignedCheckpointCommand.self, ConsistencyCommand.self, DetectCommand.self, FleetCommand.self, ConsentCommand.self, LedgerCommand.self, EgressCommand.self])

    public init() {}
}
