import FoundationEssentials
import Telemetry

/// Where things live under a data directory.
public struct DataPaths: Sendable {
    public var directory: String

    public init(_ directory: String) { self.directory = directory }

    public var vault: String { FilePaths.join(directory, "vault.sqlite") }
    public var keyFile: String { FilePaths.join(directory, "keys/gateway.keys") }

    /// Creates the directory (0700) if needed.
    public func ensureExists() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}
