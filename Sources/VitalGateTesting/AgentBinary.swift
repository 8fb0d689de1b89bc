public import Foundation
public import LocalBroker

/// Locates and runs the built `vitalgate` executable (next to the test bundle; `swift build
/// --product vitalgate` must have run).
public enum AgentBinary {
    public static var path: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vitalgate"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("vitalgate"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
            ?? candidates[0].path
    }

    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static var schemas: String { repositoryRoot.appendingPathComponent("Firmware-Schemas").path }

    /// Runs `vitalgate args...` to completion; returns the exit code and output.
    @discardableResult
    public static func run(_ arguments: [String], log: String) throws -> (code: Int32?, output: String) {
        let child = try ChildProcess(executable: path, arguments: arguments, outputPath: log)
        child.waitForExit()
        return (child.exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Starts `vitalgate args...` in the background, with `environment` added to this process's.
    public static func start(_ arguments: [String], log: String, environment: [String: String] = [:]) throws -> ChildProcess {
        let merged = environment.isEmpty ? nil
            : ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        return try ChildProcess(executable: path, arguments: arguments, outputPath: log, environment: merged)
    }
}

extension AgentBinary {
    /// Writes an agent config file at `path`: gateway `id`, `dataDir`, the repository's schemas,
    /// then `extra` (more sections, as config text).
    public static func writeConfig(_ path: String, id: String, dataDir: String, extra: String) throws {
        try """
            [gateway]
            id = "\(id)"
            data_dir = "\(dataDir)"
            [schemas]
            directory = "\(schemas)"
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
