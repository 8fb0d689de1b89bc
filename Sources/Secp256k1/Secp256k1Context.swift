internal import CSecp256k1

/// The process-wide libsecp256k1 context, created and randomized once.
///
/// Thread safety (libsecp256k1 `secp256k1.h`): a constructed context may be used from any number
/// of threads at once by every call that takes a `const secp256k1_context *` (key creation,
/// signing, verification, recovery, parsing, serialisation). Only `secp256k1_context_randomize`
/// and `secp256k1_context_destroy` need exclusive access. This type randomizes in `init`, before
/// the context is published, and never destroys the shared instance, so concurrent use needs no
/// lock.
///
/// Illegal-argument handling: libsecp256k1's default illegal callback aborts the process. The
/// wrapper validates every argument the library would reject that way (buffer lengths, recovery
/// ids in 0...3) before calling it, so the callback is never reached.
final class Secp256k1Context: @unchecked Sendable {
    // @unchecked Sendable is safe: `pointer` is immutable, the context is randomized before
    // `shared` is published, and afterwards only const-context calls are made (see above).
    let pointer: OpaquePointer

    /// The shared context (lazy, thread-safe initialisation of a static).
    static let shared = Secp256k1Context()

    private init() {
        // SIGN | VERIFY: required by libsecp256k1 < 0.2; treated as SECP256K1_CONTEXT_NONE
        // (all functionality) by 0.2 and later.
        let flags = UInt32(SECP256K1_CONTEXT_SIGN) | UInt32(SECP256K1_CONTEXT_VERIFY)
        guard let context = secp256k1_context_create(flags) else {
            fatalError("Secp256k1: secp256k1_context_create failed")
        }
        // Randomization blinds secret-dependent computations against side channels.
        let seed = SecretBytes(count: 32) { SystemRandom.fill($0) }
        let randomized = seed.withUnsafePointer { secp256k1_context_randomize(context, $0) }
        precondition(randomized == 1, "Secp256k1: secp256k1_context_randomize failed")
        pointer = context
    }

    deinit {
        secp256k1_context_destroy(pointer)
    }
}
