import FoundationEssentials
import Telemetry
import Vault

/// Where things live under a data directory.
public struct DataPaths: Sendable {
    public var directory: String

    public init(_ directory: String) { self.directory = directory }

    public var vault: String { FilePaths.join(directory, "vault.sqlite") }
    public var keyFile: String { FilePaths.join(directory, "keys/gateway.keys") }

    /// Opens the vault as the commands that read it (and `erase-patient`) do: without the agent's
    /// writer lock, so they may run beside it.
    func openVault() throws -> Vault {
        try Vault(path: vault, keys: try FileKeyStore.load(path: keyFile))
    }

    /// Creates the directory (0700) if needed.
    public func ensureExists() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}
