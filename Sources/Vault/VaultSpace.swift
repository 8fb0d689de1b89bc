/// How a vault's bytes stand on disk, read in a few microseconds (two `stat` calls and the free
/// page count from the database header): what the byte budget (issue 20) is checked against
/// before each stored batch, not only once a second.
public struct VaultSpace: Sendable, Equatable {
    /// The database file's size.
    public var fileBytes: Int64
    /// Its free pages: reused before the file grows, returned to the file system by the
    /// incremental vacuum.
    public var freeBytes: Int64
    /// The write-ahead log's size.
    public var walBytes: Int64

    public init(fileBytes: Int64, freeBytes: Int64 = 0, walBytes: Int64 = 0) {
        self.fileBytes = fileBytes
        self.freeBytes = freeBytes
        self.walBytes = walBytes
    }

    /// The pages in use: what the content takes (pruning lowers it as pages empty, compaction more).
    public var contentBytes: Int64 { max(fileBytes - freeBytes, 0) }
    /// What the vault takes on disk: the file and its WAL.
    public var diskBytes: Int64 { fileBytes + walBytes }
}
