import ErrorSupport
import Glibc

/// Reads the files the configuration is or names (the configuration file, the MQTT password and
/// the fleet operators files) with errors that say why in the C library's words.
enum TextFile {
    /// The largest file read (the configuration file is a few kB).
    static let maxBytes = 1 << 20

    /// The whole file at `path` as UTF-8 text. Errors name `key`, the setting that names the file,
    /// or when it is `nil` the file itself (the configuration file); with a key they leave out the
    /// path, which is a configured value.
    static func read(_ path: String, key: String? = nil) throws(ConfigError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw openFailure(errno, path: path, key: key) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw failure(.unreadableFile, "cannot read the file: \(SystemErrorText.text(errorNumber: errno))",
                              path: path, key: key)
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= maxBytes else {
                throw failure(.unreadableFile, "larger than \(maxBytes) bytes", path: path, key: key)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw failure(.unreadableFile, "not UTF-8 text", path: path, key: key)
        }
        return text
    }

    /// Why `path` (named by `key`, or the configuration file when `nil`) cannot be opened for
    /// reading, from the `errno` of `open` or `access`.
    static func openFailure(_ number: Int32, path: String, key: String?) -> ConfigError {
        if number == ENOENT || number == ENOTDIR { return failure(.missingFile, "no such file", path: path, key: key) }
        if SystemErrorText.isPermission(number) {
            return failure(.permissionDenied, "permission denied (make it readable by the user the agent runs as)",
                           path: path, key: key)
        }
        return failure(.unreadableFile, "cannot open the file: \(SystemErrorText.text(errorNumber: number))",
                       path: path, key: key)
    }

    private static func failure(_ code: ConfigError.Code, _ reason: String, path: String, key: String?) -> ConfigError {
        key == nil ? ConfigError(code, path: path, reason) : ConfigError(code, key: key, reason)
    }
}
