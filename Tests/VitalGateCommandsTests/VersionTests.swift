import Cryptography
import Foundation
import HTTPServer
import LocalBroker
import MQTT
import SQLite
import Testing
import VitalGateCommands
import VitalGateTesting

/// `vitalgate --version`: the version, the commit (`scripts/stamp-commit.sh`) and the versions of
/// the C libraries the binary runs with.
@Suite struct VersionTests {
    @Test func versionNamesTheBuildItsCommitAndTheLibrariesItRunsWith() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-version")
        defer { dir.remove() }
        let result = try AgentBinary.runFromRoot(["--version"], log: dir.appending("version.txt").path)
        #expect(result.code == 0)
        #expect(result.output == """
            vitalgate \(BuildInfo.version)
            commit \(BuildInfo.commit)
            SQLite \(SQLiteLibrary.version)
            OpenSSL \(OpenSSLLibrary.version)
            libmosquitto \(MQTTLibrary.version)
            libevent \(HTTPServerLibrary.version)

            """)
        #expect(BuildInfo.version.wholeMatch(of: /\d+\.\d+\.\d+/) != nil)
        #expect(BuildInfo.commit.wholeMatch(of: /[A-Za-z0-9._+-]{1,64}/) != nil, "unknown unless stamped")
        // The libraries' own answers are the versions Debian installed (the -dev packages match them).
        for (module, version) in [("sqlite3", SQLiteLibrary.version), ("libcrypto", OpenSSLLibrary.version),
                                  ("libmosquitto", MQTTLibrary.version), ("libevent", HTTPServerLibrary.version)] {
            let installed = try run(["/usr/bin/env", "pkg-config", "--modversion", module], in: dir)
            #expect(installed.output == version + "\n", "\(module)")
        }
    }

    @Test func stampCommitWritesTheCommitForTheBuildAndPutsTheFileBack() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-stamp")
        defer { dir.remove() }
        let file = dir.appending("BuildCommit.swift").path
        let original = try String(contentsOf: AgentBinary.repositoryRoot
            .appendingPathComponent("Sources/VitalGateCommands/Version/BuildCommit.swift"), encoding: .utf8)
        #expect(original.hasSuffix("let buildCommit = \"unknown\"\n"))
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        let script = AgentBinary.repositoryRoot.appendingPathComponent("scripts/stamp-commit.sh").path

        let given = try run([script, "/bin/cat", file], in: dir,
                            environment: ["VITALGATE_BUILD_COMMIT_FILE": file, "VITALGATE_COMMIT": "1.2.3-ci"])
        #expect(given.code == 0 && given.output.hasSuffix("let buildCommit = \"1.2.3-ci\"\n"), "\(given.output)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == original, "the file is put back")

        // From the checkout: its HEAD (-dirty with local changes); from a tarball: unknown.
        let fromGit = try run([script, "/bin/cat", file], in: dir, environment: ["VITALGATE_BUILD_COMMIT_FILE": file])
        let stamped = fromGit.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(stamped.wholeMatch(of: /let buildCommit = "([0-9a-f]{12}(-dirty)?|unknown)"/) != nil, "\(fromGit.output)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == original)

        let refused = try run([script, "/bin/true"], in: dir,
                              environment: ["VITALGATE_BUILD_COMMIT_FILE": file, "VITALGATE_COMMIT": "a\"b"])
        #expect(refused.code == 1 && refused.output.contains("is not a commit name"))
    }

    private func run(_ command: [String], in dir: TemporaryDirectory, environment: [String: String] = [:]) throws
        -> (code: Int32?, output: String) {
        let log = dir.appending("run-\(UUID().uuidString).txt").path
        let child = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), outputPath: log,
                                     environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        child.waitForExit()
        return (child.exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
