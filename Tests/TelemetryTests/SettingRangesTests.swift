import Telemetry
import Testing

/// One table of setting ranges: what a fleet document may set never exceeds what the local file
/// accepts, and every key is named once.
@Suite struct SettingRangesTests {
    @Test func remoteRangesLieWithinLocalOnes() {
        for range in SettingRanges.integers {
            #expect(range.local.contains(range.remote.lowerBound) && range.local.contains(range.remote.upperBound), "\(range.key)")
        }
        for range in SettingRanges.fractions {
            #expect(range.local.contains(range.remote.lowerBound) && range.local.contains(range.remote.upperBound), "\(range.key)")
        }
    }

    @Test func keysAreUniqueAndRequirementsReadAsTheFileWritesThem() {
        let keys = SettingRanges.integers.map(\.key) + SettingRanges.fractions.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(SettingRanges.ingestMaxBatch.requirement == "must be in 1...65536")
        #expect(SettingRanges.fleetConfirmTimeoutSeconds.requirement == "must be in 1...3600")
        #expect(SettingRanges.ledgerPollSeconds.requirement == "must be in 0.1...3600")
        #expect(SettingRanges.storageMaxBytes.allowsRemote(UInt64.max) && !SettingRanges.storageMaxBytes.allowsRemote(1))
    }
}
