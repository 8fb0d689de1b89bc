import Consent
import ConsentDocuments
import Cryptography
import Fleet
import FuzzSupport
import Telemetry

/// Consent documents as they arrive on a gateway's consent topic: the signed envelope with its
/// FHIR R4 Consent body, judged against a pinned authority (parse, signatures, threshold,
/// target, high-water mark, validity window); an accepted record is written back and read
/// again, and asked a decision, as the book would.
func fuzzConsent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    guard let signed = try? SignedConsent(bytes: input) else { return 0 }
    let record = signed.document.record
    if record.provision.depth > ConsentProvision.maxDepth { finding("a provision deeper than the limit was read") }
    // The parsed record writes back to a body that reads as the same record.
    let written = signed.document.json
    guard let again = try? ConsentDocument(json: written, signer: signed.signatures.first?.keyID ?? "") else {
        finding("a parsed document does not read back")
    }
    if again != signed.document { finding("a parsed document reads back differently") }
    let verdict = ConsentVerifier.evaluate(signed, authority: ConsentFixture.authority, gatewayID: ConsentFixture.gateway,
                                           groups: ConsentFixture.groups, highWater: { _ in 2 }, now: ConsentFixture.now)
    if case .success(let accepted) = verdict {
        if accepted.signerKeyIDs.isEmpty { finding("a document was accepted without a signature") }
        let book = ConsentBook(policy: .denyAll)
        book.apply(accepted.record)
        _ = book.decide(DisclosureRequest(patient: record.patient, recipient: "research-lab", purpose: .research,
                                          classes: .all, dataTime: Int64(ConsentFixture.now), disclosedAt: Int64(ConsentFixture.now)))
    }
    return 0
}

/// A pinned authority (a test key from a fixed seed; it signs nothing outside tests) and the
/// test fixture document it signed, as seeds.
enum ConsentFixture {
    static let gateway = "gw-a"
    static let groups: Set<String> = ["ward-3"]
    static let now: UInt64 = 1_800_000_100_000

    static let alice: ConfigSigner = {
        do { return ConfigSigner(name: "alice", privateKey: try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32))) } catch {
            finding("cannot make a test key: \(error)")
        }
    }()
    static let authority = ConsentAuthority(keys: [alice.operatorKey])

    /// The test fixture signed, and a revocation of it for a group.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        do {
            let fixture = try JSONParser(maxBytes: 1 << 20, maxDepth: 40)
                .parse(try readFile(repositoryRoot() + "/Tests/ConsentDocumentsTests/Fixtures/consent-document.json"))
            var document = try ConsentDocument(json: fixture, signer: alice.keyID)
            let signed = try SignedConsent.sign(json: fixture, with: [alice])
            document.target = .group("ward-3")
            document.version = 4
            document.record.version = 4
            document.record.status = .inactive
            return [("fixture-alice.json", signed),
                    ("revocation-group.json", try SignedConsent.sign(json: document.json, with: [alice]))]
        } catch {
            finding("cannot build the consent seeds: \(error)")
        }
    }
}
