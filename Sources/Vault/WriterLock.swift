import ErrorSupport
import Glibc
import Telemetry

/// An advisory lock (`flock`) on `<vault>.lock`, held by the one agent that writes a vault.
///
/// Two agents on one vault would each number readings and seal batches from their own view of
/// it, and fight over one MQTT client id. The kernel drops the lock when the holder's file is
/// closed, including when the process is killed or the machine loses power, so a lock is
/// never left stale. The file holds the holder's pid, for the message of whoever is refused.
final class WriterLock: Sendable {
    private let fd: Int32

    /// Takes the lock, or throws `inUse` naming the process that holds it.
    init(path: String) throws(VaultError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let number = errno
            guard SystemErrorText.isPermission(number) else {
                throw VaultError(.storage, "cannot open the lock file \(path): \(SystemErrorText.text(errorNumber: number))")
            }
            throw VaultError(.permissions, "cannot write in the data directory \(FilePaths.parent(of: path)): "
                             + "\(SystemErrorText.text(errorNumber: number)) (run the agent as the directory's owner, or chown it)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            guard code == EWOULDBLOCK else {
                throw VaultError(.storage, "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            let digits = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).filter(\.isNumber)
            let holder = digits.isEmpty ? "unknown" : digits
            throw VaultError(.inUse, "another vitalgate agent (pid \(holder)) is running on this vault (\(path) is locked); "
                             + "stop it first, or use another data directory")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pwrite(fd, pid, pid.count, 0) }
        self.fd = fd
    }

    deinit { close(fd) }  // releases the lock
}
