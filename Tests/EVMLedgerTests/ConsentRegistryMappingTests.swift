import Consent
import Cryptography
@testable import EVMLedger
import Testing

/// Proven registry states → the consent model (docs/CONSENT-REGISTRY.md, "In the agent").
@Suite struct ConsentRegistryMappingTests {
    static func state(_ decision: ConsentRegistryState.Decision, _ purpose: String, version: UInt64 = 1, pair: UInt64 = 2,
                      classes: ConsentRegistry.DataClass = [.vitals], notBefore: UInt64? = nil, notAfter: UInt64? = nil,
                      block: UInt64 = 10) -> ConsentRegistryState {
        ConsentRegistryState(decision: decision, version: decision == .absent ? 0 : version, pairVersion: pair,
                             purpose: ConsentRegistry.purposeWord(purpose)!, classes: decision == .absent ? [] : classes,
                             notBefore: notBefore, notAfter: notAfter, blockNumber: block, blockTimestamp: 1_800_000_000)
    }

    func decide(_ record: ConsentRecord, _ recipient: String = "unit-b", _ purpose: PurposeOfUse = .treatment,
                _ classes: DataClasses = .vitals, at ms: Int64 = 1_800_000_000_000) -> DataClasses {
        let book = ConsentBook(policy: ConsentPolicy(defaultProvision: ConsentProvision(type: .permit)))
        book.apply(record)
        return book.decide(DisclosureRequest(patient: "MRN-1", recipient: recipient, purpose: purpose, classes: classes,
                                             dataTime: ms, disclosedAt: ms)).permitted
    }

    @Test func grantsPermitTheirClassesAndPeriodRevocationsDenyAbsentIsLeftToThePolicy() throws {
        let states = [Self.state(.granted, "TREAT", notBefore: 1_700_000_000, notAfter: 1_900_000_000, block: 11),
                      Self.state(.revoked, "HRESCH", version: 2, block: 10), Self.state(.absent, "PUBHLTH")]
        let record = try #require(ConsentRegistry.record(patient: "MRN-1", grantee: "unit-b", states: states))
        #expect(record.id == "registry:unit-b" && record.version == 2 && record.status == .active)
        #expect(record.source == .registry(block: 10) && record.issuedAt == 1_800_000_000_000)
        // Under a permit-all policy: the grant's class only, inside its period; the revocation denies.
        #expect(decide(record, "unit-b", .treatment, [.vitals, .waveform]) == .vitals)
        #expect(decide(record, "unit-b", .treatment, .vitals, at: 1_900_000_000_999) == .vitals)
        #expect(decide(record, "unit-b", .treatment, .vitals, at: 1_900_000_001_000) == [])
        #expect(decide(record, "unit-b", .research) == [])
        #expect(decide(record, "unit-b", .publicHealth) == .vitals, "absent: the policy decides")
        #expect(decide(record, "unit-c", .research) == .vitals, "another grantee: the record does not speak")
    }

    @Test func unequalPairVersionsNothingWrittenAndNoClass() throws {
        #expect(ConsentRegistry.record(patient: "p", grantee: "g",
                                       states: [Self.state(.granted, "TREAT", pair: 2), Self.state(.absent, "HRESCH", pair: 3)]) == nil)
        #expect(ConsentRegistry.record(patient: "p", grantee: "g", states: [Self.state(.absent, "TREAT", pair: 0)]) == nil)
        let onlyOthers = try #require(ConsentRegistry.record(patient: "MRN-1", grantee: "unit-b",
                                                             states: [Self.state(.absent, "TREAT", pair: 4)]))
        #expect(onlyOthers.status == .inactive)
        // A grant of no class permits nothing (an empty class list would mean every class).
        let empty = try #require(ConsentRegistry.record(patient: "MRN-1", grantee: "unit-b",
                                                        states: [Self.state(.granted, "TREAT", classes: [])]))
        #expect(decide(empty, "unit-b", .treatment, .all) == [])
    }

    @Test func pseudonymsAndGranteeWords() {
        let key = [UInt8](repeating: 7, count: 32)
        let pseudonym = ConsentRegistry.pseudonym(mrn: "MRN-1", key: key)
        #expect(pseudonym == HMACSHA256.authenticationCode(
            key: key, message: Array("vitalgate-consent-registry-pseudonym-v1".utf8) + [0] + Array("MRN-1".utf8)))
        #expect(pseudonym != ConsentRegistry.pseudonym(mrn: "MRN-2", key: key))
        #expect(pseudonym != ConsentRegistry.pseudonym(mrn: "MRN-1", key: [UInt8](repeating: 8, count: 32)))
        #expect(ConsentRegistry.granteeWord("unit-b") == Array("unit-b".utf8) + [UInt8](repeating: 0, count: 26))
        #expect(ConsentRegistry.granteeWord(String(repeating: "x", count: 32))?.count == 32)
        for bad in ["", String(repeating: "x", count: 33), "a b", "é"] { #expect(ConsentRegistry.granteeWord(bad) == nil) }
    }
}
