import ArgumentParser
import Fleet
import FoundationEssentials
import Telemetry

/// What `fleet sign` and `consent sign` share: sign a document, or add signatures to an envelope.
enum EnvelopeSigning {
    /// Signs the document object in the file at `path` (or the document of the envelope there,
    /// keeping its other signatures) with each key file in `keys` under `domain`, after `check`
    /// accepted the document; writes the envelope to `out`, or prints it.
    static func sign(path: String, keys: [String], out: String?, maxBytes: Int, maxDepth: Int, domain: [UInt8],
                     check: (JSONValue) throws -> Void) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let json = try JSONParser(maxBytes: maxBytes, maxDepth: maxDepth).parse(data)
        var documentJSON = json
        var signatures: [ConfigSignature] = []
        if json["document"] != nil {
            let envelope = try SignedEnvelope(bytes: data, maxBytes: maxBytes, maxDepth: maxDepth)
            documentJSON = envelope.documentJSON
            signatures = envelope.signatures
        }
        try check(documentJSON)  // refuse to sign what the agent would not parse
        for keyPath in keys {
            let signer = try FleetKeygenCommand.loadSigner(path: keyPath)
            signatures.removeAll { $0.keyID == signer.keyID }
            signatures.append(try signer.signature(forDocument: documentJSON, domain: domain))
        }
        let envelope = SignedEnvelope.serialise(document: documentJSON, signatures: signatures)
        guard envelope.count <= maxBytes else {
            throw ValidationError("the signed document is \(envelope.count) bytes; at most \(maxBytes) are accepted")
        }
        if let out {
            try Data(envelope).write(to: URL(fileURLWithPath: out))
            FileStream.standardError.write("wrote \(out): \(signatures.count) signature(s), \(envelope.count) bytes\n")
        } else {
            print(String(decoding: envelope, as: UTF8.self))
        }
    }
}
