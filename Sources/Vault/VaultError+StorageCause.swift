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
