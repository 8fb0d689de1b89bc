import Glibc
import Testing
@testable import VitalGateCommands

/// The small replacements for Foundation API the command line used before it linked
/// FoundationEssentials only: time parsing, number formatting, file output.
@Suite struct CommandSupportTests {
    @Test func exportTimesAcceptMillisecondsAndRFC3339() throws {
        #expect(try ExportCommand.parseTime("1764043200000") == 1_764_043_200_000)
        #expect(try ExportCommand.parseTime("2025-11-25T04:00:00Z") == 1_764_043_200_000)
        #expect(try ExportCommand.parseTime("2025-11-25T04:00:00.250Z") == 1_764_043_200_250)
        #expect(try ExportCommand.parseTime("2025-11-25T05:00:00+01:00") == 1_764_043_200_000)
        #expect(try ExportCommand.parseTime(nil) == nil)
        #expect(throws: (any Error).self) { try ExportCommand.parseTime("yesterday") }
    }

    @Test func formatUsesCConversions() {
        #expect(String(printf: "%.2f us, %d rounds", 3.14159, 3) == "3.14 us, 3 rounds")
        #expect(String(printf: "MRN-%08d", 10_000_042) == "MRN-10000042")
        #expect(String(printf: "-%06X", 255) == "-0000FF")
        let long = String(printf: "%0300d", 7)
        #expect(long.count == 300 && long.hasSuffix("07"))
    }

    @Test func fileStreamWritesWholeBuffersAndReadsThemBack() throws {
        let path = "/tmp/vitalgate-filestream-\(UInt32.random(in: 0 ... .max))"
        defer { _ = unlink(path) }
        do {
            let stream = try #require(FileStream.create(path: path, mode: 0o600))
            #expect(stream.write([UInt8](repeating: 0x41, count: 200_000)))
            #expect(stream.write("tail\n"))
        }
        let reader = try #require(FileStream.open(readingAt: path))
        var total: [UInt8] = []
        while case let chunk = reader.read(upTo: 65_536), !chunk.isEmpty { total += chunk }
        #expect(total.count == 200_005)
        #expect(String(decoding: total.suffix(5), as: UTF8.self) == "tail\n")
        #expect(FileStream.open(readingAt: path + ".missing") == nil)
    }
}
