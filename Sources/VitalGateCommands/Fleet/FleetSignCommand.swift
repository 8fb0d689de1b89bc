public import ArgumentParser
import Fleet
import FoundationEssentials
import Telemetry

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
        guard let data = FileManager.default.contents(atPath: document) else {
            throw ValidationError("cannot read \(document)")
        }
        let json = try JSONParser(maxBytes: SignedConfig.maxBytes, maxDepth: 20).parse(data)
        var documentJSON = json
        var signatures: [ConfigSignature] = []
        if json["document"] != nil {
            let envelope = try SignedConfig(bytes: data)
            documentJSON = envelope.documentJSON
            signatures = envelope.signatures
        }
        // Refuse to sign what the agent would not parse.
        _ = try ConfigDocument(json: documentJSON)
        for path in key {
            let signer = try FleetKeygenCommand.loadSigner(path: path)
            signatures.removeAll { $0.keyID == signer.keyID }
            signatures.append(try signer.signature(forDocument: documentJSON))
        }
        let envelope = SignedConfig.envelope(document: documentJSON, signatures: signatures)
        if let out {
            try Data(envelope).write(to: URL(fileURLWithPath: out))
            FileStream.standardError.write("wrote \(out): \(signatures.count) signature(s), \(envelope.count) bytes\n")
        } else {
            print(String(decoding: envelope, as: UTF8.self))
        }
    }
}
