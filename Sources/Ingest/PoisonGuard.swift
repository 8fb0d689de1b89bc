import Cryptography
import Glibc
import Synchronization
import Telemetry

/// Keeps one message from crash-looping the agent (issue 17).
///
/// A message that kills the process while it is decoded is never acknowledged, so the broker
/// delivers it again at every start, and the agent dies again: the whole gateway stops. The
/// guard remembers which message was being decoded when the process died, and quarantines that
/// message as `poison` (acknowledged like any quarantined message) once it has killed the agent
/// twice in a row.
///
/// The record lives in a small file mapped into memory (`MAP_SHARED`): before each message is
/// decoded its fingerprint (a 64-bit hash of topic and payload, and the payload's length) is
/// written there and a flag set; after, the flag is cleared. Those are plain stores to memory,
/// no system call, and the kernel keeps the page however the process dies. A clean stop marks
/// the record clean. At the next start an unclean record with the flag set names the message
/// that was being decoded:
/// - the first death while decoding it makes it a suspect (a SIGKILL or a power cut can land
///   on any message);
/// - a second consecutive death on the same message makes it poison.
///
/// So a fatal message is quarantined at the second restart, and a kill that happens to land
/// during a decode costs nothing. No payload byte is written to the file or to any log.
final class PoisonGuard {
    /// What identifies a message across restarts without keeping any of its bytes.
    struct Fingerprint: Equatable {
        var hash: UInt64
        var length: UInt64

        init(topic: String, payload: [UInt8]) {
            hash = Self.hash(topic: topic, payload: payload)
            length = UInt64(payload.count)
        }

        init(hash: UInt64, length: UInt64) {
            self.hash = hash
            self.length = length
        }

        /// A fast word-at-a-time 64-bit hash (not cryptographic: a collision only makes the
        /// guard blame another message of the same topic and length).
        static func hash(topic: String, payload: [UInt8]) -> UInt64 {
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15
            @inline(__always) func mix(_ word: UInt64) {
                h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
            }
            var topicCopy = topic
            topicCopy.withUTF8 { utf8 in
                for byte in utf8 { mix(UInt64(byte)) }
            }
            mix(0xFF)
            payload.withUnsafeBytes { raw in
                var offset = 0
                while offset + 8 <= raw.count {
                    mix(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    offset += 8
                }
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while offset < raw.count {
                    tail |= UInt64(raw[offset]) << shift
                    shift += 8
                    offset += 1
                }
                mix(tail ^ UInt64(raw.count) << 56)
            }
            return h
        }
    }

    /// What the last run left: the message it died decoding, and how many consecutive runs did.
    struct Verdict: Equatable {
        var fingerprint: Fingerprint
        var topic: String
        /// Consecutive runs that died decoding this message (1: a suspect; 2 or more: poison).
        var deaths: Int
        var isPoison: Bool { deaths >= PoisonGuard.deathsToPoison }
    }

    static let deathsToPoison = 2
    static let fileSize = 4096
    static let maxTopicBytes = fileSize - Layout.topic

    private enum Layout {
        static let magic = 0          // 8 bytes
        static let running = 8        // UInt8: 1 from start until a clean stop
        static let decoding = 9       // UInt8: 1 while a message is decoded
        static let deaths = 10        // UInt16: earlier consecutive deaths on this message
        static let topicLength = 12   // UInt32
        static let length = 16        // UInt64: payload length
        static let hash = 24          // UInt64
        static let topic = 32         // topic bytes (truncated), for the log line
    }

    private static let magic: UInt64 = 0x3147_4450_4754_5600  // "\0VTGPDG1", little-endian

    /// The message the last run died decoding, if it died while decoding one.
    let lastDeath: Verdict?
    /// Whether the last run stopped cleanly (or there was none): `false` after a crash, a kill
    /// or a power cut, whether or not a message was being decoded.
    let lastRunStoppedCleanly: Bool
    private let memory: UnsafeMutableRawPointer
    private let path: String

    /// Maps the guard file at `path` (created if missing) and reads what the last run left.
    init(path: String) throws(PoisonGuardError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PoisonGuardError(path: path, "cannot open", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PoisonGuardError(path: path, "cannot stat", errno) }
        let fresh = Int(info.st_size) != Self.fileSize
        if fresh, ftruncate(fd, off_t(Self.fileSize)) != 0 {
            throw PoisonGuardError(path: path, "cannot size", errno)
        }
        guard let mapped = mmap(nil, Self.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
              mapped != MAP_FAILED else {
            throw PoisonGuardError(path: path, "cannot map", errno)
        }
        memory = mapped
        lastDeath = fresh ? nil : Self.readDeath(memory)
        lastRunStoppedCleanly = fresh || memory.load(fromByteOffset: Layout.magic, as: UInt64.self) != Self.magic
            || memory.load(fromByteOffset: Layout.running, as: UInt8.self) == 0
        if fresh || memory.load(fromByteOffset: Layout.magic, as: UInt64.self) != Self.magic {
            memset(memory, 0, Self.fileSize)
            memory.storeBytes(of: Self.magic, toByteOffset: Layout.magic, as: UInt64.self)
        }
        memory.storeBytes(of: 0, toByteOffset: Layout.decoding, as: UInt8.self)
        memory.storeBytes(of: 1, toByteOffset: Layout.running, as: UInt8.self)
    }

    deinit {
        munmap(memory, Self.fileSize)
    }

    private static func readDeath(_ memory: UnsafeMutableRawPointer) -> Verdict? {
        guard memory.load(fromByteOffset: Layout.magic, as: UInt64.self) == magic,
              memory.load(fromByteOffset: Layout.running, as: UInt8.self) == 1,
              memory.load(fromByteOffset: Layout.decoding, as: UInt8.self) == 1 else { return nil }
        let topicLength = min(Int(memory.load(fromByteOffset: Layout.topicLength, as: UInt32.self)), maxTopicBytes)
        let topic = String(decoding: UnsafeRawBufferPointer(start: memory + Layout.topic, count: topicLength), as: UTF8.self)
        let fingerprint = Fingerprint(hash: memory.load(fromByteOffset: Layout.hash, as: UInt64.self),
                                      length: memory.load(fromByteOffset: Layout.length, as: UInt64.self))
        let earlier = Int(memory.load(fromByteOffset: Layout.deaths, as: UInt16.self))
        return Verdict(fingerprint: fingerprint, topic: topic, deaths: earlier + 1)
    }

    /// Whether `fingerprint` is the message that killed the last runs often enough to be poison.
    @inline(__always)
    func isPoison(_ fingerprint: Fingerprint) -> Bool {
        guard let lastDeath, lastDeath.isPoison else { return false }
        return lastDeath.fingerprint == fingerprint
    }

    /// Records that `topic`'s message with `fingerprint` is about to be decoded.
    @inline(__always)
    func willDecode(_ fingerprint: Fingerprint, topic: String) {
        // A message that already killed the last run carries its count of deaths forward.
        let deaths: UInt16 = lastDeath?.fingerprint == fingerprint ? UInt16(clamping: lastDeath?.deaths ?? 0) : 0
        memory.storeBytes(of: fingerprint.hash, toByteOffset: Layout.hash, as: UInt64.self)
        memory.storeBytes(of: fingerprint.length, toByteOffset: Layout.length, as: UInt64.self)
        memory.storeBytes(of: deaths, toByteOffset: Layout.deaths, as: UInt16.self)
        var topicCopy = topic
        topicCopy.withUTF8 { utf8 in
            let count = min(utf8.count, Self.maxTopicBytes)
            memory.storeBytes(of: UInt32(count), toByteOffset: Layout.topicLength, as: UInt32.self)
            UnsafeMutableRawPointer(memory + Layout.topic).copyMemory(from: utf8.baseAddress!, byteCount: count)
        }
        // The record is complete before the flag says so, and both before decoding starts. Only
        // the compiler could reorder them: a process that traps has retired every earlier
        // store, and the page outlives it. So acquire-release fences: compiler barriers only on
        // x86-64 (a sequentially consistent fence is an `mfence` per call) and `dmb ish` on ARM.
        atomicMemoryFence(ordering: .acquiringAndReleasing)
        memory.storeBytes(of: 1, toByteOffset: Layout.decoding, as: UInt8.self)
        atomicMemoryFence(ordering: .acquiringAndReleasing)
    }

    /// Records that the message announced by `willDecode` was decoded.
    @inline(__always)
    func didDecode() {
        atomicMemoryFence(ordering: .acquiringAndReleasing)
        memory.storeBytes(of: 0, toByteOffset: Layout.decoding, as: UInt8.self)
    }

    /// Marks a clean stop: the next start finds no death to blame.
    func stoppedCleanly() {
        memory.storeBytes(of: 0, toByteOffset: Layout.decoding, as: UInt8.self)
        memory.storeBytes(of: 0, toByteOffset: Layout.running, as: UInt8.self)
        msync(memory, Self.fileSize, MS_ASYNC)
    }
}

/// The guard file cannot be used (the agent then runs without the guard, and says so).
struct PoisonGuardError: Error, CustomStringConvertible {
    var path: String
    var action: String
    var code: Int32

    init(path: String, _ action: String, _ code: Int32) {
        self.path = path
        self.action = action
        self.code = code
    }

    var description: String { "\(action) the decode guard file \(path): \(String(cString: strerror(code)))" }
}
