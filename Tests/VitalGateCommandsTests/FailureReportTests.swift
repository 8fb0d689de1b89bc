import Foundation
import Schemas
import Testing
import Vault
@testable import VitalGateCommands
import VitalGateTesting

/// Swift Testing has an `ExitStatus` of its own.
private typealias ExitStatus = VitalGateCommands.ExitStatus

/// What the command line prints for an error `run()` throws, and the status it exits with.
@Suite struct FailureReportTests {
    @Test func eachErrorGetsItsDocumentedStatus() {
        let cases: [(any Error, ExitStatus)] = [
            (ConfigError(.missingFile, path: "a.conf", "no such file"), .missingFile),
            (ConfigError(.permissionDenied, key: "mqtt.password_file", "permission denied"), .permissions),
            (ConfigError(.cannotCreate, "cannot use d as the data directory"), .cannotCreate),
            (ConfigError(.invalidSetting, key: "--broker", "must be mqtt://…"), .usage),
            (ConfigError(.invalidSetting, key: "mqtt.broker", "must be mqtt://…"), .configuration),
            (ConfigError(.unknownKey, line: 2, key: "mqtt.x", path: "a.conf", "unknown key"), .configuration),
            (SchemaError(file: "x.json", "not valid JSON"), .configuration),
            (VaultError(.keyFileMissing, "no key file"), .missingFile),
            (VaultError(.permissions, "open to others"), .permissions),
            (VaultError(.keyFile, "not valid JSON"), .configuration),
            (VaultError(.inUse, "another agent"), .inUse),
            (VaultError(.storage, "cannot open the vault database"), .storage),
            (VaultError(.erased, "gone"), .failure),
            (CommandFailure("the agent did not start", status: .configuration), .configuration),
        ]
        for (error, status) in cases {
            #expect(FailureReport(error).status == status, "\(error)")
        }
    }

    @Test func theMessageIsTheReasonWithoutCodesOrCallSites() {
        let vault = VaultError(.storage, "cannot open the vault database d/vault.sqlite", underlying: POSIXError(.EIO))
        #expect(FailureReport(vault).message == "cannot open the vault database d/vault.sqlite: Input/output error")
        #expect(FailureReport(ConfigError(.unknownKey, line: 2, key: "mqtt.x", path: "a.conf", "unknown key")).message
            == "a.conf:2: mqtt.x: unknown key")
    }

    @Test func aFoundationErrorIsNeverDumped() throws {
        let cocoa = try #require(throws: CocoaError.self) {
            try FileManager.default.contentsOfDirectory(atPath: "/nonexistent-vitalgate")
        }
        let report = FailureReport(cocoa)
        #expect(report.message == "No such file or directory" && report.status == .failure)

        struct Wrapper: Error, CustomStringConvertible {
            var inner: any Error
            var description: String { "cannot list the directory (\(inner))" }
        }
        let wrapped = FailureReport(Wrapper(inner: cocoa))
        #expect(wrapped.message == "cannot list the directory (a file system error)")
        #expect(FailureReport(message: "two\nlines", status: .failure).message == "two lines")
        #expect(FailureReport.oneLine("x: Error Domain=NSCocoaErrorDomain Code=4") == "x (a file system error)")
    }

    @Test func exitStatusesAreSysexitsAndDocumented() throws {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 1, 64, 66, 73, 74, 75, 77, 78])
        let operations = try String(contentsOf: AgentBinary.repositoryRoot.appendingPathComponent("docs/OPERATIONS.md"),
                                    encoding: .utf8)
        for status in ExitStatus.allCases {
            #expect(operations.contains("| \(status.rawValue) | \(status.summary) |"), "docs/OPERATIONS.md: \(status)")
            #expect(ExitStatus.helpText.contains("\(status.rawValue)") && ExitStatus.helpText.contains(status.summary))
        }
    }
}
