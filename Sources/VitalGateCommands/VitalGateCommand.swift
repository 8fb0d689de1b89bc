public import ArgumentParser

/// The `vitalgate` root command.
public struct VitalGateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vitalgate",
        abstract: "Edge agent for wearable vital-sign telemetry: MQTT ingest into an encrypted, provable vault.",
        subcommands: [DetectCommand.self, DetectBenchCommand.self])

    public init() {}
}
