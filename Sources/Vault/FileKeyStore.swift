import FoundationEssentials
import Glibc
import Telemetry

/// The default key store: a JSON key file readable only by its owner (mode 0600), kept apart
/// from the vault database so that a copy of the database alone reveals nothing.
public enum FileKeyStore {
    /// Creates a new key file at `path` (mode 0600; its directory 0700). Refuses to overwrite.
    @discardableResult
    public static func initialize(path: String) throws(VaultError) -> GatewayKeys {
        let directory = FilePaths.parent(of: path)
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw VaultError(.keyFile, "cannot create the key directory", underlying: error)
            }
        }
        let keys = GatewayKeys.generate()
        let text = Array(keys.serialized(createdAt: Date().formatted(.iso8601)).utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw VaultError(.keyFile, errno == EEXIST ? "key file already exists; refusing to overwrite it"
                                                        : "cannot create the key file (errno \(errno))")
        }
        defer { close(fd) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else { throw VaultError(.keyFile, "cannot write the key file") }
        return keys
    }

    /// Loads the key file, refusing files that group or others can read or write.
    public static func load(path: String) throws(VaultError) -> GatewayKeys {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw VaultError(.keyFile, "no key file at the configured path; run `vitalgate keys init`")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw VaultError(.keyFile, "key file permissions are too open (must be 0600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VaultError(.keyFile, "cannot read the key file")
        }
        return try GatewayKeys.parse(Array(data))
    }
}
