import ArgumentParser
import Delivery
import ErrorSupport
import HTTPServer
import Schemas
import SQLite
import Vault

/// An error as `vitalgate` reports it: one line that names the file or setting and the fix, and
/// the documented exit status (``ExitStatus``).
///
/// No Foundation error dump (`CocoaError(…)`, `Error Domain=…`) ever reaches the line: file-system
/// causes are given in the C library's words, and a line that would still carry a dump is cut
/// before it.
public struct FailureReport: Sendable, Equatable {
    /// The message, without the `Error: ` that ``print()`` puts before it.
    public var message: String
    /// What the process exits with.
    public var status: ExitStatus

    public init(message: String, status: ExitStatus) {
        self.message = Self.oneLine(message)
        self.status = status
    }

    /// The report of an error a command's `run()` threw.
    public init(_ error: any Error) {
        switch error {
        case let error as CommandFailure:
            self.init(message: error.message, status: error.status)
        case let error as ConfigError:
            self.init(message: error.description, status: error.exitStatus)
        case let error as SchemaError:
            self.init(message: error.description, status: .configuration)
        case let error as VaultError:
            self.init(message: error.reason + (error.underlying.map { ": " + Self.cause($0) } ?? ""),
                      status: error.exitStatus)
        case let error as DeliveryError where error.code == .configuration:
            self.init(message: error.reason, status: .configuration)
        case let error as HTTPServerError:
            let status: ExitStatus = switch error.code {
            case .inUse: .inUse
            case .permission: .permissions
            case .address: .configuration
            default: .failure
            }
            self.init(message: error.reason, status: status)
        case let error as ValidationError:
            self.init(message: error.message, status: .usage)
        default:
            self.init(message: Self.cause(error), status: .failure)
        }
    }

    /// Writes `Error: message` to standard error.
    public func print() {
        FileStream.standardError.write("Error: \(message)\n")
    }

    /// The words for an underlying error: SQLite's message, a file-system error's `strerror`
    /// text, or the error's description.
    static func cause(_ error: any Error) -> String {
        if let sqlite = error as? SQLiteError { return sqlite.message }
        return SystemErrorText.describe(error)
    }

    /// What marks a Foundation error dump.
    static let dumpMarkers = ["CocoaError(", "Error Domain=", "NSCocoaErrorDomain", "FoundationEssentials", "userInfo:"]

    /// `text` on one line, cut before anything that looks like a Foundation error dump.
    static func oneLine(_ text: String) -> String {
        var line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        if let cut = dumpMarkers.compactMap({ line.firstRange(of: $0)?.lowerBound }).min() {
            line = String(line[..<cut]).trimmingTrailing(" ([:;,") + " (a file system error)"
        }
        return line
    }
}

extension ConfigError {
    /// A missing file 66, a permission 77, a directory that cannot be made 73, a malformed
    /// command-line option 64, anything else in the configuration 78.
    var exitStatus: ExitStatus {
        switch code {
        case .missingFile: .missingFile
        case .permissionDenied: .permissions
        case .cannotCreate: .cannotCreate
        default: key?.hasPrefix("--") == true ? .usage : .configuration
        }
    }
}

extension VaultError {
    /// The key file missing 66, permissions 77, the key file malformed 78, the lock held 75, the
    /// database 74.
    var exitStatus: ExitStatus {
        switch code {
        case .keyFileMissing: .missingFile
        case .permissions: .permissions
        case .keyFile: .configuration
        case .inUse: .inUse
        case .storage, .migration, .corruptRow: .storage
        default: .failure
        }
    }
}

extension String {
    fileprivate func trimmingTrailing(_ characters: String) -> String {
        var text = Substring(self)
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
