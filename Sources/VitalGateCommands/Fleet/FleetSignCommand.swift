public import ArgumentParser
import Fleet

/// `vitalgate fleet sign DOC --key K [--key K2…]`: signs a document, or adds signatures to an
/// envelope (k-of-n sections collect one signature per operator, each with their own key).
public struct FleetSignCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a configuration document (or add signatures to a signed envelope).")

    @Argument(help: "A document JSON file, or an envelope {\"document\", \"signatures\"} to add signatures to.")
    var document: String
    @Option(name: .long, help: "An operator key file from `fleet keygen` (repeat for several operators).")
    var key: [String]
    @Option(name: .long, help: "Write the envelope here (default: standard output).") var out: String?

    public init() {}

    public func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
    }

    public func run() throws {
        try EnvelopeSigning.sign(path: document, keys: key, out: out, maxBytes: SignedConfig.maxBytes, maxDepth: 20,
                                 domain: ConfigDocument.signingDomain) { _ = try ConfigDocument(json: $0) }
    }
}
