import Glibc
import SQLite

extension VaultError {
    /// A short stable name for why a write failed, for alerts and events: `disk_full`,
    /// `io_error`, `not_writable`, `corrupt`, `busy`, or `storage_error` for anything else
    /// (`crypto`, `key_file`, ... for failures outside SQLite). Never carries data.
    public var storageCause: String {
        guard let sqlite = underlying as? SQLiteError else {
            return code == .storage ? "storage_error" : code.rawValue
        }
        switch sqlite.code {
        case .full: return "disk_full"
        case .ioError: return "io_error"
        case .readOnly, .permission, .cantOpen: return "not_writable"
        case .corrupt, .notADatabase: return "corrupt"
        case .busy, .locked: return "busy"
        default: return "storage_error"
        }
    }
}

extension Vault {
    /// `"; its file system is full"` when the file system holding `path` has less than 64 KiB
    /// left for it, else `""`. SQLite reports a full disk met while opening (creating the WAL
    /// index) as a generic I/O error; this says what an operator should look at.
    static func fullDiskHint(_ path: String) -> String {
        var directory = path
        if let slash = path.lastIndex(of: "/") { directory = slash == path.startIndex ? "/" : String(path[..<slash]) } else { directory = "." }
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return "" }
        let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        return free < 64 * 1024 ? "; its file system is full (\(free) bytes available)" : ""
    }
}
