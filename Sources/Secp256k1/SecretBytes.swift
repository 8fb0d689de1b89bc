/// A fixed-size secret held in memory this object owns and zeroes on `deinit`.
///
/// Copies of the enclosing value types share one instance, so the secret exists once in memory
/// (plus any copy a caller explicitly asks for).
final class SecretBytes: @unchecked Sendable {
    // @unchecked Sendable is safe: `storage` is written only in `init` (before the object is
    // shared) and in `deinit` (after the last reference is gone); all other access is reads.
    private let storage: UnsafeMutableRawBufferPointer

    /// Allocates `count` bytes and lets `initialize` fill them (random generation, copying).
    init(count: Int, initialize: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(count > 0, "SecretBytes: empty secret")
        storage = .allocate(byteCount: count, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        initialize(storage)
    }

    /// Copies `bytes` into owned memory.
    convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { $0.copyBytes(from: bytes) }
    }

    deinit {
        SystemRandom.zero(storage)
        storage.deallocate()
    }

    /// The number of bytes.
    var count: Int { storage.count }

    /// Calls `body` with read-only access to the secret. Do not let the pointer escape.
    func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// Calls `body` with a pointer to the first byte (the C calls take `const unsigned char *`).
    func withUnsafePointer<Result, Failure: Error>(
        _ body: (UnsafePointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // `storage` is never empty for a key (allocated with a positive count in `init`).
        try body(UnsafePointer(storage.baseAddress!.assumingMemoryBound(to: UInt8.self)))
    }
}
