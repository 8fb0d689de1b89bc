/// A growable byte buffer for encoders on hot paths (the canonical reading, JSON): one
/// capacity check per write and no uniqueness check or generic dispatch, where appending to an
/// `[UInt8]` piece by piece cost more than the bytes themselves (DECISIONS 25).
///
/// Not copyable: it owns its storage, which is freed with it.
public struct ByteWriter: ~Copyable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes written so far.
    public private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes (it grows as needed).
    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit { base.deallocate() }

    /// Appends one byte.
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Appends `bytes`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends the UTF-8 bytes of a literal.
    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `length` bytes written by `body` into the space it is given (all of it must be written).
    public mutating func appendUninitialized(_ length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        guard length > 0 else { return }
        reserve(length)
        body(UnsafeMutableRawBufferPointer(start: base + count, count: length))
        count += length
    }

    /// Appends everything written so far to `out`, in one copy.
    public func append(to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Everything written so far.
    public var bytes: [UInt8] { [UInt8](UnsafeRawBufferPointer(start: base, count: count)) }

    private mutating func reserve(_ extra: Int) {
        if extra > capacity - count { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 1)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
