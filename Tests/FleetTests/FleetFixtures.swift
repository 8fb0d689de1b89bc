import Cryptography
import Fleet
import Telemetry
import Transparency

/// Deterministic operator keys and a baseline document for the fleet tests.
enum Fixtures {
    static func signer(_ seed: UInt8, _ name: String) -> ConfigSigner {
        // Fixed 32-byte seeds keep key ids stable across runs.
        let key = try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32))
        return ConfigSigner(name: name, privateKey: key)
    }

    static let alice = signer(1, "alice")
    static let bob = signer(2, "bob")
    static let carol = signer(3, "carol")
    static let mallory = signer(9, "mallory")

    /// alice and bob pinned; detection needs both.
    static let policy = TrustPolicy(keys: [alice.operatorKey, bob.operatorKey], thresholds: [.detection: 2])

    /// A C2SP cosignature/v1 verifier key, as witness keys are written.
    static let witnessKey = try! CosignatureSigner(
        name: "witness.example", privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))
        .verifierKey.description

    static let now: UInt64 = 1_800_000_000_000
    static let gateway = "gw-7"

    static func document(version: UInt64 = 5, target: ConfigTarget = .gateway(gateway),
                         sections: ConfigSections? = nil) -> ConfigDocument {
        ConfigDocument(target: target, version: version, notBefore: now - 60_000, expires: now + 3_600_000,
                       sections: sections ?? ConfigSections(
                           ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 256),
                           storage: .init(maxBytes: 1 << 30)))
    }

    /// A document object with one member replaced (or removed when `value` is nil).
    static func replacing(_ key: String, with value: JSONValue?, in document: JSONValue) -> JSONValue {
        var members = document.objectValue!.filter { $0.key != key }
        if let value { members.append((key, value)) }
        return .object(members)
    }

    static func evaluate(_ bytes: [UInt8], policy: TrustPolicy = policy, applied: UInt64? = 4,
                         groups: Set<String> = ["ward-3"]) -> Result<AcceptedConfig, ConfigRejection> {
        ConfigVerifier.evaluate(bytes, policy: policy, gatewayID: gateway, groups: groups,
                                appliedVersion: applied, now: now)
    }
}

extension Result where Failure == ConfigRejection {
    var rejection: ConfigRejection.Reason? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}
