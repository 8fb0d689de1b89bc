import Consent
import Testing

/// A window's deliveries as one disclosure: exact counts, joined classes and times, bounded ranges.
@Suite struct DisclosureAggregationTests {
    static func delivery(_ ids: [Int64], at: Int64, classes: DataClasses = [.vitals],
                         basis: ConsentDecision.Basis = .defaultPolicy) -> Disclosure {
        Disclosure(patient: "MRN-1", recipient: "ehr", channel: .sink("fhir"), purpose: .treatment, basis: basis, classes: classes,
                   recordRanges: Disclosure.ranges(of: ids), count: ids.count, disclosedAt: at)
    }

    @Test func mergingAddsCountsJoinsClassesAndWidensTheTimes() {
        let merged = Self.delivery([1, 2], at: 10).merging(Self.delivery([3, 7], at: 20, classes: [.alerts]))
        #expect(merged.count == 4 && merged.classes == [.vitals, .alerts])
        #expect(merged.firstDisclosedAt == 10 && merged.disclosedAt == 20)
        #expect(merged.recordRanges == [1...3, 7...7] && merged.rangesExact)
    }

    @Test func tooManyRangesJoinAcrossTheSmallestGapsAndAreMarkedInexact() {
        // Every other id (another patient's records between): 40 single ranges, bounded to 8.
        var aggregate = Self.delivery([1], at: 0)
        for n in 1..<40 { aggregate = aggregate.merging(Self.delivery([Int64(2 * n + 1)], at: Int64(n)), maxRanges: 8) }
        #expect(aggregate.recordRanges.count == 8 && !aggregate.rangesExact && aggregate.count == 40)
        #expect(aggregate.recordRanges.first?.lowerBound == 1 && aggregate.recordRanges.last?.upperBound == 79)
        for id in stride(from: Int64(1), through: 79, by: 2) { #expect(aggregate.recordRanges.contains { $0.contains(id) }) }
        // A gap of 1000 ids is the last to close.
        let apart = Self.delivery([1, 3, 5], at: 0).merging(Self.delivery([2000], at: 1), maxRanges: 2)
        #expect(apart.recordRanges == [1...5, 2000...2000] && !apart.rangesExact)
    }

    @Test func onlyTheSamePatientRecipientChannelPurposeAndBasisAggregate() {
        let base = Self.delivery([1], at: 0)
        #expect(base.aggregates(with: Self.delivery([2], at: 1, classes: [.alerts])))
        #expect(!base.aggregates(with: Self.delivery([2], at: 1, basis: .breakGlass)))
        var export = Self.delivery([2], at: 1)
        export.channel = .export
        #expect(!base.aggregates(with: export))
    }
}
