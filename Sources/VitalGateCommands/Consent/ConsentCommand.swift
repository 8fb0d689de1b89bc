public import ArgumentParser

/// `vitalgate consent sign|push|list`: tools for signed consent documents (docs/CONSENT.md).
/// Authority keys are made with `vitalgate fleet keygen` (the same Ed25519 key files).
public struct ConsentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "Consent documents: sign, push to a gateway, list the records in force.",
        subcommands: [ConsentSignCommand.self, ConsentPushCommand.self, ConsentListCommand.self])

    public init() {}
}
