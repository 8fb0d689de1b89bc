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
        let child = try ChildProcess(executable: path, arguments: withPrivatePort(arguments), outputPath: log)
        child.waitForExit()
        return (child.exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Runs `vitalgate args...` to completion with `/` as its working directory (through
    /// `env -C /`), as a service or a package starts it. With `unprivileged`, when this process is
    /// root, it runs as user and group 65534 (through `setpriv`), so that file permissions apply.
    @discardableResult
    public static func runFromRoot(_ arguments: [String], log: String, unprivileged: Bool = false) throws
        -> (code: Int32?, output: String) {
        var command = ["/usr/bin/env", "-C", "/", path] + withPrivatePort(arguments)
        if unprivileged && getuid() == 0 { command = unprivilegedPrefix + command }
        let child = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), outputPath: log)
        child.waitForExit()
        return (child.exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Whether ``runFromRoot(_:log:unprivileged:)`` can run the binary unprivileged: this process
    /// is not root, or `setpriv` exists and user 65534 may execute the binary where it is.
    public static let canRunUnprivileged: Bool = {
        guard getuid() == 0 else { return true }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              let child = try? ChildProcess(executable: unprivilegedPrefix[0],
                                            arguments: Array(unprivilegedPrefix.dropFirst()) + ["/usr/bin/test", "-x", path])
        else { return false }
        child.waitForExit()
        return child.exitCode == 0
    }()

    private static let unprivilegedPrefix = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    /// Starts `vitalgate args...` in the background, with `environment` added to this process's.
    public static func start(_ arguments: [String], log: String, environment: [String: String] = [:]) throws -> ChildProcess {
        let merged = environment.isEmpty ? nil
            : ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        return try ChildProcess(executable: path, arguments: withPrivatePort(arguments), outputPath: log, environment: merged)
    }

    /// `run` with its HTTP endpoints on a port the system chooses, unless the arguments say
    /// where (`--http`, which also overrides a config file's `[http] listen`): tests run many
    /// agents at once, and the default port would let only one of them start.
    static func withPrivatePort(_ arguments: [String]) -> [String] {
        guard arguments.first == "run", !arguments.contains("--http") else { return arguments }
        return arguments + ["--http", "127.0.0.1:0"]
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
