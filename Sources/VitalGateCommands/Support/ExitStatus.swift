/// How `vitalgate` exits: 0, 1, or a `sysexits.h` status that says what to fix before starting it
/// again (docs/OPERATIONS.md; `vitalgate --help` prints the table). ArgumentParser itself exits 64
/// on a command-line error.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    /// The command ran and failed or found a problem; any failure without a status of its own.
    case failure = 1
    /// `EX_USAGE`.
    case usage = 64
    /// `EX_NOINPUT`.
    case missingFile = 66
    /// `EX_CANTCREAT`.
    case cannotCreate = 73
    /// `EX_IOERR`.
    case storage = 74
    /// `EX_TEMPFAIL`: worth trying again later, unlike the others.
    case inUse = 75
    /// `EX_NOPERM`.
    case permissions = 77
    /// `EX_CONFIG`.
    case configuration = 78

    /// What the status means, for the table.
    public var summary: String {
        switch self {
        case .success: "success"
        case .failure: "failed, or found a problem (audit, verify, a demo that lost messages)"
        case .usage: "command-line error: an unknown option, a malformed value"
        case .missingFile: "missing file: the key file, the --config file, a file a setting names"
        case .cannotCreate: "the data directory cannot be created, or is not a directory"
        case .storage: "the vault database cannot be opened or read (not a database, disk full)"
        case .inUse: "another agent is running on the data directory (it holds the lock), or the HTTP port is taken"
        case .permissions: "permission denied, or the key file is open to group or others"
        case .configuration: "invalid configuration: a setting, the config file, a schema, the key file"
        }
    }

    /// The table `vitalgate --help` ends with.
    public static var helpText: String {
        "EXIT STATUS:\n" + allCases.map { status in
            let code = "\(status.rawValue)"
            return "  " + code + String(repeating: " ", count: 4 - code.count) + status.summary
        }.joined(separator: "\n")
    }
}
