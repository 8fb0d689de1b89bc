import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by the signal handler; an atomic store is async-signal-safe (lock-free).
private let stopSignal = Atomic<Int32>(0)

/// The C handler: records the signal, then restores the default action so that a second
/// Ctrl-C ends a process whose graceful shutdown hangs.
private let recordSignal: @convention(c) (Int32) -> Void = { signo in
    stopSignal.store(signo, ordering: .relaxed)
    _ = signal(signo, SIG_DFL)
}

/// A process-wide "please stop" flag raised by SIGINT or SIGTERM, for long loops that poll it
/// (`vitalgate simulate`, `vitalgate run`) and then shut down in order.
///
/// ```swift
/// SignalFlag.install()
/// while !SignalFlag.stopRequested { ... }
/// ```
/// The first signal only sets the flag; a second one of the same kind takes its default
/// action (terminates the process).
public enum SignalFlag {
    /// Installs the handler for `signals` (`nil`: SIGINT and SIGTERM). Idempotent.
    public static func install(signals: [Int32]? = nil) {
        for signo in signals ?? [SIGINT, SIGTERM] { _ = signal(signo, recordSignal) }
    }

    /// Whether a stop was requested by a signal or by `requestStop()`.
    public static var stopRequested: Bool { stopSignal.load(ordering: .relaxed) != 0 }

    /// The signal that requested the stop (`SIGINT`, `SIGTERM`); `nil` when none arrived or
    /// the stop came from `requestStop()`.
    public static var receivedSignal: Int32? {
        let value = stopSignal.load(ordering: .relaxed)
        return value > 0 ? value : nil
    }

    /// Raises the flag without a signal (for tests and programmatic shutdown).
    public static func requestStop() {
        stopSignal.store(-1, ordering: .relaxed)
    }

    /// Lowers the flag; signal handlers already restored to their defaults stay so until
    /// `install()` is called again.
    public static func reset() {
        stopSignal.store(0, ordering: .relaxed)
    }
}
