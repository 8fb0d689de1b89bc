public import ArgumentParser

/// `vitalgate fleet keygen|sign|push|status`: operator tools for signed fleet configuration
/// (docs/FLEET-CONFIG.md).
public struct FleetCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Operator tools: create keys, sign, push and watch fleet configuration.",
        subcommands: [FleetKeygenCommand.self, FleetSignCommand.self, FleetPushCommand.self, FleetStatusCommand.self])

    public init() {}
}
