public import ArgumentParser
import ConsentDocuments

/// `vitalgate consent sign DOC --key K [--key K2…] [--out FILE]`: signs a consent document, or
/// adds signatures to a signed envelope (k-of-n authorities each sign with their own key).
public struct ConsentSignCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a consent document (or add signatures to a signed one) with consent-authority keys.")

    @Argument(help: "A consent document JSON file, or an envelope {\"document\", \"signatures\"} to add signatures to.")
    var document: String
    @Option(name: .long, help: "An authority key file from `vitalgate fleet keygen` (repeat for several authorities).")
    var key: [String]
    @Option(name: .long, help: "Write the envelope here (default: standard output).") var out: String?

    public init() {}

    public func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
    }

    public func run() throws {
        try EnvelopeSigning.sign(path: document, keys: key, out: out, maxBytes: ConsentDocument.maxBytes,
                                 maxDepth: ConsentDocument.maxJSONDepth, domain: ConsentDocument.signingDomain) {
            _ = try ConsentDocument(json: $0, signer: "")
        }
    }
}
