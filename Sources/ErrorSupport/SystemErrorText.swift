import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Foundation's file-system errors in the C library's words ("Permission denied"), for error
/// descriptions and messages: a `CocoaError` printed as it is, `CocoaError(code: …, userInfo: […])`,
/// is a dump nobody can act on.
public enum SystemErrorText {
    /// The POSIX error number behind `error`: a `POSIXError`, or the one a `CocoaError` wraps.
    public static func errorNumber(of error: any Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        guard let cocoa = error as? CocoaError else { return nil }
        return (cocoa.underlying as? POSIXError)?.code.rawValue
    }

    /// Whether `code` means "not allowed": `EACCES`, `EPERM`, `EROFS`.
    public static func isPermission(_ code: Int32?) -> Bool {
        code.map { [EACCES, EPERM, EROFS].contains($0) } ?? false
    }

    /// `strerror`'s text for `code`.
    public static func text(errorNumber code: Int32) -> String { String(cString: strerror(code)) }

    /// `error` in words: `strerror`'s text when it wraps a POSIX error, `file system error N` for
    /// another Foundation error, otherwise its own description.
    public static func describe(_ error: any Error) -> String {
        if let code = errorNumber(of: error) { return text(errorNumber: code) }
        if let cocoa = error as? CocoaError { return "file system error \(cocoa.code.rawValue)" }
        return String(describing: error)
    }
}
