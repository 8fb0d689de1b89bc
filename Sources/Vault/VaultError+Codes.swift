public import ErrorSupport

/// The codes of ``VaultError``.
extension ErrorCode<VaultError> {
    /// The database failed (see ``VaultError/storageCause``).
    public static var storage: Self { Self("storage") }
    /// Encrypting, decrypting or signing failed.
    public static var crypto: Self { Self("crypto") }
    /// The key file is malformed, or cannot be read or written for a reason other than the two below.
    public static var keyFile: Self { Self("key_file") }
    /// There is no key file at the path (`vitalgate keys init` makes one).
    public static var keyFileMissing: Self { Self("key_file_missing") }
    /// This user may not read or write a file or directory of the vault (the key file, the data
    /// directory), or the key file is open to group or others.
    public static var permissions: Self { Self("permissions") }
    /// The schema could not be migrated to this version.
    public static var migration: Self { Self("migration") }
    /// A stored row failed authentication or does not decode (tampering or corruption).
    public static var corruptRow: Self { Self("corrupt_row") }
    /// The patient's data key was erased.
    public static var erased: Self { Self("erased") }
    /// The reading's content was pruned by the retention policy (or evicted at the byte budget).
    public static var pruned: Self { Self("pruned") }
    /// The vault is at its byte budget and nothing can be pruned (`[storage] when_full = "block"`).
    public static var budgetFull: Self { Self("budget_full") }
    /// The requested row does not exist or cannot be proven yet.
    public static var notFound: Self { Self("not_found") }
    /// Input from outside (e.g. a cosigned checkpoint) was refused.
    public static var rejected: Self { Self("rejected") }
    /// Another agent process holds the vault's writer lock.
    public static var inUse: Self { Self("in_use") }
}
