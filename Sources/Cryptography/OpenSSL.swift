internal import COpenSSL

// The one place where OpenSSL return codes are checked. Every libcrypto call in this module
// goes through `check` (for `int` results, where 1 means success) or `checkNotNil` (for
// functions returning a pointer, where NULL means failure), so that each failure becomes a
// `CryptoError` with the drained OpenSSL error queue and the call site.

/// OpenSSL functions return 1 on success (a few also return 0 or negative values on failure).
func check(
    _ result: Int32, _ function: StaticString, file: String = #fileID, line: Int = #line
) throws(CryptoError) {
    guard result == 1 else {
        throw CryptoError(
            code: .openSSLFailure, reason: "\(function) failed (returned \(result))",
            openSSLErrors: drainOpenSSLErrors(), file: file, line: line)
    }
}

/// Constructors and fetchers return NULL on failure.
func checkNotNil<Pointer>(
    _ pointer: Pointer?, _ function: StaticString, file: String = #fileID, line: Int = #line
) throws(CryptoError) -> Pointer {
    guard let pointer else {
        throw CryptoError(
            code: .openSSLFailure, reason: "\(function) returned NULL",
            openSSLErrors: drainOpenSSLErrors(), file: file, line: line)
    }
    return pointer
}

/// Runs an operation that can only fail if OpenSSL itself is broken (out of memory, provider
/// missing), for the non-throwing API (hashing, HMAC, key generation): traps with the error.
func mustSucceed<Result>(_ body: () throws(CryptoError) -> Result) -> Result {
    do {
        return try body()
    } catch {
        fatalError("OpenSSL failure in an operation that cannot fail: \(error)")
    }
}

/// Empties OpenSSL's thread-local error queue and returns its entries joined by "; ".
/// OpenSSL's strings name the library, function and reason; they never contain input bytes.
func drainOpenSSLErrors() -> String {
    var entries: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        entries.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return entries.joined(separator: "; ")
}

/// Fetches an algorithm once at start-up; a missing default provider is unrecoverable.
func fetchOnce(_ fetch: () -> OpaquePointer?, _ name: StaticString) -> OpaquePointer {
    guard let algorithm = fetch() else {
        fatalError("OpenSSL cannot fetch \(name): \(drainOpenSSLErrors())")
    }
    return algorithm
}

/// A NUL-terminated C string with static storage. Some OpenSSL APIs keep the pointers they
/// are given (OSSL_PARAM keys and values until the call that consumes the array,
/// EVP_PKEY_CTX_new_from_name's key type for the context's lifetime), so passing a Swift
/// `String`, whose C representation only lives for the duration of one call, is unsafe.
/// Every name handed to OpenSSL goes through this function.
func cString(_ string: StaticString) -> UnsafePointer<CChar> {
    precondition(string.hasPointerRepresentation, "C string literal expected")
    return UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
}

// MARK: - Byte access

/// A valid pointer to one NUL byte, for handing "empty input" to C functions that reject
/// or misinterpret NULL even when the length is zero.
@inline(__always)
func nonNull(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
    if let base = buffer.baseAddress {
        return base.assumingMemoryBound(to: UInt8.self)
    }
    return ("" as StaticString).utf8Start
}

/// Calls `body` with the bytes of `data`, without copying when the sequence is contiguous
/// (`[UInt8]`, `ArraySlice`, `UnsafeBufferPointer`, ...).
@inline(__always)
func withContiguousBytes<Bytes: Sequence<UInt8>, Result>(
    _ data: Bytes, _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> Result
) throws(CryptoError) -> Result {
    // `withContiguousStorageIfAvailable` is `rethrows`, so the typed error is carried out
    // through a `Result` rather than thrown across it.
    let direct: Swift.Result<Result, CryptoError>? = data.withContiguousStorageIfAvailable { buffer in
        do throws(CryptoError) {
            return .success(try body(UnsafeRawBufferPointer(buffer)))
        } catch {
            return .failure(error)
        }
    }
    if let direct {
        return try direct.get()
    }
    let copy = Array(data)
    let copied: Swift.Result<Result, CryptoError> = copy.withUnsafeBytes { buffer in
        do throws(CryptoError) {
            return .success(try body(buffer))
        } catch {
            return .failure(error)
        }
    }
    return try copied.get()
}

/// Builds a byte array of exactly `count` bytes filled in by `body` (which must initialize
/// all of them), without zero-filling first.
@inline(__always)
func makeBytes(
    count: Int, _ body: (UnsafeMutablePointer<UInt8>) throws(CryptoError) -> Void
) throws(CryptoError) -> [UInt8] {
    var failure: CryptoError?
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        guard count > 0, let base = buffer.baseAddress else {
            initialized = 0
            return
        }
        do throws(CryptoError) {
            try body(base)
            initialized = count
        } catch {
            failure = error
            initialized = 0
        }
    }
    if let failure { throw failure }
    return bytes
}
