import Foundation
import LocalBroker
import Testing
import VitalGateTesting

/// How the agent's binary is linked (Package.swift `agentLinking`, DECISIONS 55): its relative
/// relocations packed (DT_RELR) and none of its own symbols exported. Without either, the agent
/// keeps about 1 MiB more resident for as long as it runs (BENCHMARKS "Where the agent's memory
/// goes"), and nothing else would notice: the binary runs the same either way.
@Suite struct AgentLinkingTests {
    @Test func relativeRelocationsArePackedAndNoSwiftSymbolIsExported() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-linking")
        defer { dir.remove() }

        let dynamic = try readelf(["-d", AgentBinary.path], in: dir)
        #expect(dynamic.contains("(RELR)"), "no packed relocations:\n\(dynamic)")
        #expect(dynamic.contains("(NEEDED)") && dynamic.contains("libsqlite3"), "not the agent's dynamic section")

        // Unpacked, the 47,000 relative relocations of a release build would be listed here one by one.
        let relocations = try readelf(["-rW", AgentBinary.path], in: dir)
        let unpacked = relocations.split(separator: "\n").filter { $0.contains("_RELATIVE") }.count
        #expect(unpacked == 0, "\(unpacked) relative relocations not packed")

        let symbols = try readelf(["--dyn-syms", "-W", AgentBinary.path], in: dir).split(separator: "\n")
        // Imports stay (undefined, resolved in the C libraries); the binary's own Swift symbols go.
        #expect(symbols.contains { $0.contains(" UND ") && $0.contains("sqlite3_open_v2") }, "not the agent's symbols")
        let exported = symbols.filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 8 && fields[6] != "UND" && fields[7].hasPrefix("$s")
        }
        #expect(exported.isEmpty, "\(exported.count) Swift symbols exported, e.g. \(exported.prefix(3))")
    }

    private func readelf(_ arguments: [String], in dir: TemporaryDirectory) throws -> String {
        let log = dir.appending("readelf-\(UUID().uuidString).txt").path
        let child = try ChildProcess(executable: "/usr/bin/readelf", arguments: arguments, outputPath: log)
        #expect(child.waitForExit() == 0, "readelf \(arguments)")
        return try String(contentsOfFile: log, encoding: .utf8)
    }
}
