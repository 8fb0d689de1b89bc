public import Glibc

/// A file descriptor read or written in whole buffers: the command line's output files and
/// standard streams (FoundationEssentials has no `FileHandle`).
public final class FileStream: Sendable {
    public let descriptor: Int32
    private let owned: Bool

    static let standardOutput = FileStream(descriptor: STDOUT_FILENO, owned: false)
    public static let standardError = FileStream(descriptor: STDERR_FILENO, owned: false)

    public init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    /// Creates (or truncates) `path` for writing, with permissions `mode` even if it existed.
    public static func create(path: String, mode: mode_t = 0o644) -> FileStream? {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return nil }
        // An existing file keeps its mode through O_CREAT; exports of patient data must not.
        guard fchmod(fd, mode) == 0 else { close(fd); return nil }
        return FileStream(descriptor: fd, owned: true)
    }

    /// Opens `path` for reading.
    public static func open(readingAt path: String) -> FileStream? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? FileStream(descriptor: fd, owned: true) : nil
    }

    /// Writes all of `bytes` (retrying short writes and interruptions); false on an error.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    @discardableResult
    public func write<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool { write(Array(bytes)) }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Reads up to `count` bytes; empty at the end of the file (or on an error).
    public func read(upTo count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
            if n < 0 && errno == EINTR { continue }
            buffer.removeSubrange(max(0, n)...)
            return buffer
        }
    }

    deinit {
        if owned { _ = close(descriptor) }
    }
}
