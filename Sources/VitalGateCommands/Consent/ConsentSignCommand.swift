public import ArgumentParser
import ConsentDocuments
import Fleet
import FoundationEssentials
import Telemetry

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
        guard let data = FileManager.default.contents(atPath: document) else { throw ValidationError("cannot read \(document)") }
        let json = try JSONParser(maxBytes: ConsentDocument.maxBytes, maxDepth: ConsentDocument.maxJSONDepth).parse(data)
        var documentJSON = json
        var signatures: [ConfigSignature] = []
        if json["document"] != nil {
            let envelope = try SignedEnvelope(bytes: data, maxBytes: ConsentDocument.maxBytes, maxDepth: ConsentDocument.maxJSONDepth)
            documentJSON = envelope.documentJSON
            signatures = envelope.signatures
        }
        // Refuse to sign what the agent would not parse.
        _ = try ConsentDocument(json: documentJSON, signer: "")
        for path in key {
            let signer = try FleetKeygenCommand.loadSigner(path: path)
            signatures.removeAll { $0.keyID == signer.keyID }
            signatures.append(try signer.signature(forDocument: documentJSON, domain: ConsentDocument.signingDomain))
        }
        let envelope = SignedEnvelope.serialise(document: documentJSON, signatures: signatures)
        guard envelope.count <= ConsentDocument.maxBytes else {
            throw ValidationError("the signed document is \(envelope.count) bytes; at most \(ConsentDocument.maxBytes) are accepted")
        }
        if let out {
            try Data(envelope).write(to: URL(fileURLWithPath: out))
            FileStream.standardError.write("wrote \(out): \(signatures.count) signature(s), \(envelope.count) bytes\n")
        } else {
            print(String(decoding: envelope, as: UTF8.self))
        }
    }
}
