import Glibc

extension Vault {
    /// `"; its file system is full (N bytes available)"` when the file system holding `path`
    /// has less than 64 KiB left for it, else `""`. SQLite reports a full disk met while opening
    /// (creating the WAL index) as a generic I/O error; this says what an operator should look at.
    static func fullDiskHint(_ path: String) -> String {
        let directory = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return "" }
        let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        return free < 64 * 1024 ? "; its file system is full (\(free) bytes available)" : ""
    }
}
