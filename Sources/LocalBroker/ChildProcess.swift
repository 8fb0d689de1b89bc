import FoundationEssentials
#if canImport(Glibc)
public import Glibc
#endif

/// A child process started with `posix_spawn`, stopped with a signal and reaped with
/// `waitpid`. (Foundation's `Process.waitUntilExit` can hang inside test runners on Linux.)
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `pid` is immutable; `exitStatus` is only written under `lock`.
    public let pid: pid_t
    private var exitStatus: Int32?
    private var maxRSS: Int?
    private var cpuAtExit: Double?
    private var lock = pthread_mutex_t()

    /// Spawns `executable` with `arguments`; stdout/stderr go to `outputPath` (appended) or /dev/null.
    /// - Parameters:
    ///   - standardInput: a descriptor the child reads as stdin (e.g. a pipe's read end); /dev/null if `nil`.
    ///   - standardOutput: a descriptor the child writes stdout to (e.g. a pipe's write end); then
    ///     only stderr goes to `outputPath`.
    public init(executable: String, arguments: [String], outputPath: String? = nil,
                environment: [String: String]? = nil, standardInput: Int32? = nil,
                standardOutput: Int32? = nil) throws(ChildProcessError) {
        pthread_mutex_init(&lock, nil)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let out = outputPath ?? "/dev/null"
        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let standardOutput {
            posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
            posix_spawn_file_actions_addopen(&actions, 2, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env: [UnsafeMutablePointer<CChar>?]
        if let environment {
            env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        } else {
            env = [nil]
            var p = environ
            env.removeAll()
            while let entry = p.pointee { env.append(strdup(entry)); p += 1 }
            env.append(nil)
        }
        defer { env.forEach { free($0) } }
        // Threads of the parent (e.g. libdispatch workers) may block signals; the child
        // would inherit that mask and ignore SIGTERM. Start it with an empty mask and
        // default dispositions.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, env)
        guard rc == 0 else { throw ChildProcessError(reason: "posix_spawn \(executable) failed: errno \(rc)") }
        pid = child
    }

    deinit {
        if isRunning { terminate(signal: SIGKILL) }
        pthread_mutex_destroy(&lock)
    }

    /// True until the process has exited (reaps it if it has).
    public var isRunning: Bool {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        var usage = rusage()
        let r = wait4(pid, &status, WNOHANG, &usage)
        if r == pid {
            exitStatus = status
            maxRSS = usage.ru_maxrss
            cpuAtExit = Self.seconds(usage)
            return false
        }
        return r == 0
    }

    /// Sends `signal` and waits for the process to exit; returns the raw wait status.
    @discardableResult
    public func terminate(signal: Int32 = SIGTERM) -> Int32 {
        if isRunning { kill(pid, signal) }
        return waitForExit()
    }

    /// Blocks until the process exits; returns the raw wait status.
    @discardableResult
    public func waitForExit() -> Int32 {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        exitStatus = status
        maxRSS = usage.ru_maxrss
        cpuAtExit = Self.seconds(usage)
        return status
    }

    /// The child's own peak resident set size in KiB (`VmHWM` in /proc/PID/status) while it runs.
    /// Prefer this to `peakRSSKiB`: Linux carries the parent's high-water mark into a spawned
    /// child's `ru_maxrss` across exec, so `wait4` over-reports a small child of a large parent.
    public var currentPeakRSSKiB: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// CPU time (user + system) the child has used so far: from /proc/PID/stat while it runs
    /// (clock-tick resolution, usually 10 ms), from `wait4` once it has exited.
    public var cpuSeconds: Double? {
        pthread_mutex_lock(&lock)
        let atExit = cpuAtExit
        pthread_mutex_unlock(&lock)
        if let atExit { return atExit }
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func seconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// `ru_maxrss` from `wait4` once the child has exited (see `currentPeakRSSKiB` for its caveat).
    public var peakRSSKiB: Int? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return maxRSS
    }

    /// Exit code when the process exited normally, `nil` if killed by a signal or still running.
    public var exitCode: Int32? {
        guard !isRunning, let status = exitStatus, status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }
}

public struct ChildProcessError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
