public import Consent
public import ConsentDocuments
import Cryptography
public import Fleet
import Foundation

/// Consent documents for tests: fixed authority keys, a typical record (research by one lab
/// permitted, except identity), and signing.
public enum SampleConsent {
    /// An authority key from a fixed seed.
    public static func signer(_ seed: UInt8, _ name: String) -> ConfigSigner {
        ConfigSigner(name: name, privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
    }

    /// Now, in ms since the epoch.
    public static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// A record permitting `recipient` research (`HRESCH`) on vitals and alerts, denying identity.
    public static func record(id: String = "consent-1", patient: String = "MRN-00012345", version: UInt64,
                              status: ConsentRecord.Status = .active, recipient: String = "research-lab",
                              issuedAt: Int64? = nil) -> ConsentRecord {
        ConsentRecord(id: id, patient: patient, version: version, status: status, issuedAt: issuedAt ?? nowMs - 60_000,
                      provision: ConsentProvision(type: .permit, actors: [recipient], purposes: [.research],
                                                  classes: [.vitals, .alerts, .identity],
                                                  provisions: [ConsentProvision(type: .deny, classes: [.identity])]),
                      source: .document(keyID: ""))
    }

    /// The document carrying `record`, valid from a minute ago (unless given) for an hour.
    public static func document(_ record: ConsentRecord, target: ConfigTarget, issuedAt: UInt64? = nil,
                                expires: UInt64? = nil) -> ConsentDocument {
        let now = UInt64(nowMs)
        return ConsentDocument(target: target, version: record.version, issuedAt: issuedAt ?? now - 60_000,
                               expires: expires ?? now + 3_600_000, record: record,
                               patientSystem: "urn:vitalgate:patient-identifier")
    }

    /// The envelope of `document` signed by `signers`.
    public static func signed(_ document: ConsentDocument, by signers: [ConfigSigner]) -> [UInt8] {
        try! SignedConsent.sign(json: document.json, with: signers)
    }
}
