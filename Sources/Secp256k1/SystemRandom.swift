#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Random bytes from the operating system (`/dev/urandom`, which on Linux is the same
/// generator as `getrandom(2)` once the pool is initialised).
///
/// `getrandom(2)` itself is not exported by Swift's Glibc module, and the C target must stay a
/// one-line shim, so the device is read directly.
enum SystemRandom {
    /// Fills `buffer` with random bytes. Traps if the device cannot be read: continuing
    /// without randomness would produce predictable keys.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        precondition(descriptor >= 0, "Secp256k1: cannot open /dev/urandom (errno \(errno))")
        defer { _ = close(descriptor) }
        var offset = 0
        while offset < buffer.count {
            let count = read(descriptor, base + offset, buffer.count - offset)
            if count < 0 && errno == EINTR { continue }
            precondition(count > 0, "Secp256k1: reading /dev/urandom failed (errno \(errno))")
            offset += count
        }
    }

    /// Overwrites `buffer` with zeros in a way the optimiser may not remove.
    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Darwin)
        _ = memset_s(base, buffer.count, 0, buffer.count)
        #else
        explicit_bzero(base, buffer.count)
        #endif
    }
}
