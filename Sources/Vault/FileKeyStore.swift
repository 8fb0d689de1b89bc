import ErrorSupport
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
                throw VaultError(SystemErrorText.isPermission(SystemErrorText.errorNumber(of: error)) ? .permissions : .keyFile,
                                 "cannot create the key directory \(directory)", underlying: error)
            }
        }
        let keys = GatewayKeys.generate()
        let text = Array(keys.serialized(createdAt: Date().formatted(.iso8601)).utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let number = errno
            if number == EEXIST { throw VaultError(.keyFile, "key file \(path) already exists; refusing to overwrite it") }
            throw VaultError(SystemErrorText.isPermission(number) ? .permissions : .keyFile,
                             "cannot create the key file \(path): \(SystemErrorText.text(errorNumber: number))")
        }
        defer { close(fd) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else { throw VaultError(.keyFile, "cannot write the key file") }
        return keys
    }

    /// Loads the key file, refusing files that group or others can read or write. Errors name
    /// the file and what to do.
    public static func load(path: String) throws(VaultError) -> GatewayKeys {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let number = errno
            if number == ENOENT {
                throw VaultError(.keyFileMissing,
                                 "no key file at \(path) (create one with `vitalgate keys init` and the same --data-dir)")
            }
            throw unreadable(path, number)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw VaultError(.permissions, "key file \(path) is open to group or others (run `chmod 600 \(path)`)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(path, errno) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw unreadable(path, errno) }
        do {
            return try GatewayKeys.parse(Array(bytes[..<count]))
        } catch {
            throw VaultError(error.code, "key file \(path): \(error.reason) (restore it from its backup)")
        }
    }

    private static func unreadable(_ path: String, _ number: Int32) -> VaultError {
        let reason = "cannot read the key file \(path): \(SystemErrorText.text(errorNumber: number))"
        if SystemErrorText.isPermission(number) {
            return VaultError(.permissions, reason + " (run the agent as the user that owns the data directory)")
        }
        return VaultError(number == ENOTDIR ? .keyFileMissing : .keyFile, reason)
    }
}
