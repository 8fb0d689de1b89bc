import Cryptography
import Fleet
import FuzzSupport
import Telemetry

/// Fleet documents as they arrive on the desired-config topic: the signed envelope, judged
/// against a pinned policy (parse, signatures, thresholds, target, version, validity window,
/// safe ranges), and the reports `fleet status` reads back. An input starting with `R` is a
/// report; anything else is an envelope.
func fuzzFleet(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    if input.first == UInt8(ascii: "R") {
        guard let json = try? JSONParser().parse(input.dropFirst()) else { return 0 }
        _ = try? ConfigReport(json: json)
        return 0
    }
    guard let signed = try? SignedConfig(bytes: input) else { return 0 }
    // Reached whether or not the signatures verify: every section's values are range-checked.
    _ = signed.document.sections.firstUnsafeField()
    _ = ConfigDocument.contentHash(of: signed.documentJSON)
    let verdict = ConfigVerifier.evaluate(signed, policy: FleetFixture.policy, gatewayID: FleetFixture.gateway,
                                          groups: FleetFixture.groups, appliedVersion: { _ in 41 }, now: FleetFixture.now)
    if case .success(let accepted) = verdict {
        if accepted.signerKeyIDs.isEmpty { finding("a document was accepted without a signature") }
        _ = accepted.document.json
    }
    return 0
}

/// A pinned policy of two operators (test keys from fixed seeds, as in FleetTests; they sign
/// nothing outside tests) and the documents they signed, as seeds.
enum FleetFixture {
    static let gateway = "gw-fuzz"
    static let groups: Set<String> = ["ward-3"]
    static let now: UInt64 = 1_800_000_100_000

    static func signer(_ seed: UInt8, _ name: String) -> ConfigSigner {
        do { return ConfigSigner(name: name, privateKey: try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))) } catch {
            finding("cannot make a test key: \(error)")
        }
    }

    static let alice = signer(1, "alice")
    static let bob = signer(2, "bob")
    static let policy = TrustPolicy(keys: [alice.operatorKey, bob.operatorKey], thresholds: [.detection: 2, .broker: 2])

    /// Config/fleet-example.json signed by one and by both operators, and a report.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        do {
            let example = try JSONParser().parse(try readFile(repositoryRoot() + "/Config/fleet-example.json"))
            let document = try ConfigDocument(json: example)
            var gatewayDocument = document
            gatewayDocument.target = .gateway(gateway)
            let report = ConfigReport(gateway: gateway, status: .rejected, target: "group:ward-3", version: 42,
                                      contentHash: [UInt8](repeating: 0xAB, count: 32), code: "replay",
                                      reason: "replay: version 42 is not above 42", running: ["gateway": 7, "group:ward-3": 41],
                                      at: now)
            return [
                ("example-both.json", try ConfigSigner.sign(document, with: [alice, bob])),
                ("example-alice.json", try ConfigSigner.sign(document, with: [alice])),
                ("gateway-both.json", try ConfigSigner.sign(gatewayDocument, with: [alice, bob])),
                ("report.json", Array("R".utf8) + JSONWriter.canonicalBytes(report.json)),
            ]
        } catch {
            finding("cannot build the fleet seeds: \(error)")
        }
    }
}
