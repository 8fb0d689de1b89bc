import ErrorSupport
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

    /// Throws, naming the path and the fix, when there is no vault to read (a command that only
    /// reads must not create an empty one).
    func requireVault() throws(CommandFailure) {
        guard FileManager.default.fileExists(atPath: vault) else {
            throw CommandFailure("no vault at \(vault): the agent has not run with this data directory "
                                 + "(set --data-dir or [gateway] data_dir)", status: .missingFile)
        }
    }

    /// Whether the directory exists; throws when something else is at its path.
    public func exists() throws(ConfigError) -> Bool {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return false }
        guard isDirectory else { throw failure(.cannotCreate, "it exists and is not a directory") }
        return true
    }

    /// Creates the directory (0700) if needed; errors name it and the settings that choose it.
    public func ensureExists() throws(ConfigError) {
        if try exists() { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            let permission = SystemErrorText.isPermission(SystemErrorText.errorNumber(of: error))
            throw failure(permission ? .permissionDenied : .cannotCreate, SystemErrorText.describe(error))
        }
    }

    private func failure(_ code: ConfigError.Code, _ why: String) -> ConfigError {
        ConfigError(code, "cannot use \(directory) as the data directory: \(why) (set --data-dir or [gateway] data_dir)")
    }
}
