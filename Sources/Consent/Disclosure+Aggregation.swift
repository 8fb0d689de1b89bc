/// Disclosures of many deliveries as one (issue 21, docs/CONSENT.md "Disclosure log"): a sink
/// that delivers every half second would otherwise seal a record per patient per delivery, for
/// ever. One aggregate per patient, recipient, channel, purpose and consent basis collects the
/// deliveries of a window: the count stays exact, the classes are their union, the time runs from
/// the first confirmation to the last, and the id ranges are bounded (merged across the smallest
/// gaps once there are too many, and then marked inexact).
extension Disclosure {
    /// The most ranges an aggregate keeps: 32 pairs of ids (under 1 KiB of record).
    public static let aggregateMaxRanges = 32

    /// Whether `other` belongs to the same aggregate: same patient, recipient, channel, purpose
    /// and basis (a new consent version starts a new one; the classes may differ).
    public func aggregates(with other: Disclosure) -> Bool {
        patient == other.patient && recipient == other.recipient && channel == other.channel && purpose == other.purpose
            && basis == other.basis
    }

    /// This disclosure and `other` (of the same aggregate) as one: counts added, classes joined,
    /// times widened, ranges joined and bounded to `maxRanges`.
    public func merging(_ other: Disclosure, maxRanges: Int = Disclosure.aggregateMaxRanges) -> Disclosure {
        var merged = self
        merged.count += other.count
        merged.classes.formUnion(other.classes)
        merged.firstDisclosedAt = min(firstDisclosedAt, other.firstDisclosedAt)
        merged.disclosedAt = max(disclosedAt, other.disclosedAt)
        let (ranges, exact) = Self.bounded(Self.coalesced(recordRanges + other.recordRanges), maxRanges: maxRanges)
        merged.recordRanges = ranges
        merged.rangesExact = rangesExact && other.rangesExact && exact
        return merged
    }

    /// `ranges` sorted, with overlapping and adjacent ones joined.
    static func coalesced(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound || range.lowerBound - last.upperBound == 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// At most `maxRanges` of sorted, disjoint `ranges`: the two neighbours with the smallest gap
    /// are joined until they fit. Returns whether nothing was joined (the ranges are still exact).
    static func bounded(_ ranges: [ClosedRange<Int64>], maxRanges: Int) -> ([ClosedRange<Int64>], Bool) {
        var ranges = ranges
        let limit = max(1, maxRanges)
        guard ranges.count > limit else { return (ranges, true) }
        while ranges.count > limit {
            var smallest = 0
            for index in 1..<(ranges.count - 1) where
                ranges[index + 1].lowerBound - ranges[index].upperBound < ranges[smallest + 1].lowerBound - ranges[smallest].upperBound {
                smallest = index
            }
            ranges[smallest] = ranges[smallest].lowerBound...ranges[smallest + 1].upperBound
            ranges.remove(at: smallest + 1)
        }
        return (ranges, false)
    }
}
