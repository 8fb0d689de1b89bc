import Glibc

/// One NDJSON file being written for a delivery: a hidden temporary file beside its final
/// name, filled through a small buffer, then fsynced and renamed into place by ``commit()``.
/// A writer that is never committed is removed by ``discard()``, so a failed delivery leaves
/// no partial file behind (and a repeated one rewrites it whole).
final class NDJSONFileWriter {
    let file: String
    private let directory: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes buffered before a `write(2)`: large enough that a file costs few system calls,
    /// small enough that a delivery never holds its files in memory.
    static let bufferBytes = 64 << 10

    private var temporaryPath: String { "\(directory)/.\(file).tmp" }

    /// Creates (or truncates) `directory/.file.tmp`.
    init(directory: String, file: String) throws(DeliveryError) {
        self.directory = directory
        self.file = file
        fd = open("\(directory)/.\(file).tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DeliveryError(.storage, "cannot create \(file): \(Self.errnoText())") }
        buffer.reserveCapacity(Self.bufferBytes)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Appends one line (`line` and a newline).
    func appendLine(_ line: [UInt8]) throws(DeliveryError) {
        if buffer.count + line.count + 1 > Self.bufferBytes { try flush() }
        if line.count + 1 > Self.bufferBytes {
            try writeAll(line)
            buffer.append(UInt8(ascii: "\n"))
        } else {
            buffer.append(contentsOf: line)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes what is buffered, fsyncs the file and renames it to its final name. The caller
    /// then syncs the directory, once for all of a delivery's files.
    func commit() throws(DeliveryError) {
        try flush()
        guard fsync(fd) == 0 else { throw DeliveryError(.storage, "cannot sync \(file): \(Self.errnoText())") }
        close(fd)
        fd = -1
        guard rename(temporaryPath, "\(directory)/\(file)") == 0 else {
            throw DeliveryError(.storage, "cannot rename \(file) into place: \(Self.errnoText())")
        }
    }

    /// Closes and removes the temporary file (a delivery that failed).
    func discard() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporaryPath)
    }

    private func flush() throws(DeliveryError) {
        guard !buffer.isEmpty else { return }
        try writeAll(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: [UInt8]) throws(DeliveryError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DeliveryError(.storage, "cannot write \(file): \(Self.errnoText())") }
            written += n
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
