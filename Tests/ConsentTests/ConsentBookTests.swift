import Consent
import Testing

@Suite("ConsentBook: decisions after FHIR R4 Consent's provision semantics")
struct ConsentBookTests {
    static let hour: Int64 = 3_600_000
    static let ehr = "hospital-ehr"
    static let research = "research-registry"

    static func request(_ recipient: String = ehr, _ purpose: PurposeOfUse = .treatment,
                        classes: DataClasses = [.vitals], data: Int64 = 10 * hour, at: Int64 = 11 * hour,
                        patient: String = "MRN-1") -> DisclosureRequest {
        DisclosureRequest(patient: patient, recipient: recipient, purpose: purpose, classes: classes, dataTime: data,
                          disclosedAt: at)
    }

    static func record(_ provision: ConsentProvision, version: UInt64 = 1, status: ConsentRecord.Status = .active,
                       id: String = "c1", patient: String = "MRN-1") -> ConsentRecord {
        ConsentRecord(id: id, patient: patient, version: version, status: status, issuedAt: 0, provision: provision,
                      source: .document(keyID: "0011223344556677"))
    }

    @Test func theDefaultPolicyDecidesForAPatientWithoutRecords() {
        let book = ConsentBook(policy: .treatmentOnly(by: [Self.ehr]))
        let treat = book.decide(Self.request(classes: [.vitals, .identity]))
        #expect(treat.permitted == [.vitals, .identity])
        #expect(treat.basis == .defaultPolicy)
        let research = book.decide(Self.request(Self.research, .research))
        #expect(research.permitted.isEmpty)
        #expect(research.denied == [.vitals])
        #expect(book.decide(Self.request(Self.ehr, .research)).permitted.isEmpty)
        #expect(ConsentBook(policy: .treatmentOnly(by: [])).decide(Self.request()).permitted.isEmpty)
    }

    @Test func aPatientsPermitWithAnExceptionOverridesTheDefault() {
        let book = ConsentBook(policy: .treatmentOnly(by: [Self.ehr]))
        // Research may have vitals measured in hours 8-12, but never the identity.
        book.apply(Self.record(ConsentProvision(
            type: .permit, actors: [Self.research], purposes: [.research],
            dataPeriod: ConsentPeriod(start: 8 * Self.hour, end: 12 * Self.hour),
            provisions: [ConsentProvision(type: .deny, classes: [.identity])])))
        let inside = book.decide(Self.request(Self.research, .research, classes: [.vitals, .identity]))
        #expect(inside.permitted == [.vitals])
        #expect(inside.denied == [.identity])
        #expect(inside.basis == .patientConsent([ConsentVersion(recordID: "c1", version: 1)]))
        // Data measured after the data period: the record does not speak; the default denies.
        let later = book.decide(Self.request(Self.research, .research, classes: [.vitals], data: 13 * Self.hour))
        #expect(later.permitted.isEmpty)
        #expect(later.basis == .defaultPolicy)
        // Treatment by the hospital is untouched by this record.
        #expect(book.decide(Self.request()).basis == .defaultPolicy)
        #expect(book.decide(Self.request()).permits(.vitals))
    }

    @Test func anOptOutDeniesWhatTheDefaultPermitsAndDenyWinsAcrossRecords() {
        let book = ConsentBook(policy: .treatmentOnly(by: [Self.ehr]))
        book.apply(Self.record(ConsentProvision(type: .deny, classes: [.waveform]), id: "no-waveform"))
        book.apply(Self.record(ConsentProvision(type: .permit, actors: [Self.ehr]), id: "ehr-all"))
        let decision = book.decide(Self.request(classes: [.vitals, .waveform]))
        #expect(decision.permitted == [.vitals])
        #expect(decision.denied == [.waveform])
        #expect(decision.basis == .patientConsent([ConsentVersion(recordID: "ehr-all", version: 1),
                                                   ConsentVersion(recordID: "no-waveform", version: 1)]))
    }

    @Test func theDisclosurePeriodBoundsARecord() {
        let book = ConsentBook(policy: .denyAll)
        book.apply(Self.record(ConsentProvision(type: .permit, period: ConsentPeriod(start: 0, end: 11 * Self.hour))))
        #expect(book.decide(Self.request(at: 11 * Self.hour)).permits(.vitals))
        #expect(!book.decide(Self.request(at: 11 * Self.hour + 1)).permits(.vitals))
    }

    @Test func newerVersionsReplaceOlderOnesAndReplaysAreIgnored() {
        let book = ConsentBook(policy: .denyAll)
        let permit = ConsentProvision(type: .permit, actors: [Self.ehr])
        #expect(book.apply(Self.record(permit, version: 1)) == .applied)
        let generation = book.generation
        #expect(book.decide(Self.request()).permits(.vitals))
        #expect(book.apply(Self.record(permit, version: 2, status: .inactive)) == .applied)
        #expect(book.generation != generation)
        #expect(!book.decide(Self.request()).permits(.vitals))
        #expect(book.apply(Self.record(permit, version: 1)) == .stale(current: 2))
        #expect(book.apply(Self.record(permit, version: 2)) == .stale(current: 2))
        #expect(!book.decide(Self.request()).permits(.vitals))
        #expect(book.apply(Self.record(permit, version: 3)) == .applied)
        #expect(book.decide(Self.request()).permits(.vitals))
    }

    @Test func breakGlassIsAllowedOnlyWherePolicyAllowsItAndIsFlagged() {
        var policy = ConsentPolicy.denyAll
        let denied = ConsentBook(policy: policy)
        #expect(!denied.decide(Self.request(Self.ehr, .emergencyTreatment)).permits(.vitals))
        policy.breakGlassRecipients = [Self.ehr]
        let book = ConsentBook(policy: policy)
        book.apply(Self.record(ConsentProvision(type: .deny)))  // the patient opted out of everything
        let emergency = book.decide(Self.request(Self.ehr, .emergencyTreatment, classes: [.vitals, .identity]))
        #expect(emergency.permitted == [.vitals, .identity])
        #expect(emergency.isBreakGlass)
        #expect(!book.decide(Self.request(Self.ehr, .treatment)).permits(.vitals))
        #expect(!book.decide(Self.request(Self.research, .emergencyTreatment)).permits(.vitals))
    }

    @Test func erasureForgetsAPatientsRecordsOnly() {
        let book = ConsentBook(policy: .denyAll)
        book.apply(Self.record(ConsentProvision(type: .permit), patient: "MRN-1"))
        book.apply(Self.record(ConsentProvision(type: .permit), patient: "MRN-2"))
        book.remove(patient: "MRN-1")
        #expect(book.records(patient: "MRN-1").isEmpty)
        #expect(book.patientCount == 1)
        #expect(!book.decide(Self.request(patient: "MRN-1")).permits(.vitals))
        #expect(book.decide(Self.request(patient: "MRN-2")).permits(.vitals))
    }

    @Test func purposeCodesAndClassCodesParseStrictly() {
        #expect(PurposeOfUse(rawValue: "TREAT") == .treatment)
        #expect(PurposeOfUse(rawValue: "CLINTRCH")?.rawValue == "CLINTRCH")
        #expect(PurposeOfUse(rawValue: "treat") == nil)
        #expect(PurposeOfUse(rawValue: "T") == nil)
        #expect(DataClasses(code: "waveform") == .waveform)
        #expect(DataClasses(code: "ecg") == nil)
        #expect(DataClasses.all.codeList == ["vitals", "waveform", "alerts", "identity"])
        #expect(ConsentProvision(type: .deny, provisions: [ConsentProvision(type: .permit)]).depth == 2)
    }
}

@Suite("Disclosure")
struct DisclosureTests {
    @Test func rangesMergeConsecutiveIds() {
        #expect(Disclosure.ranges(of: []) == [])
        #expect(Disclosure.ranges(of: [5, 3, 4, 9, 9, 10, 12]) == [3...5, 9...10, 12...12])
    }
}
