#if DEBUG
import Glibc
#endif

extension DecodeStage {
    #if DEBUG
    /// Test-only (debug builds): a payload containing `VITALGATE_TEST_FATAL_PAYLOAD` kills the
    /// process while it is decoded, standing in for a decoder bug (CrashRecoveryTests).
    private static let testFatalMarker: [UInt8]? = getenv("VITALGATE_TEST_FATAL_PAYLOAD").map { Array(String(cString: $0).utf8) }

    @inline(__always)
    static func testFatalHook(_ payload: [UInt8]) {
        guard let marker = testFatalMarker, !marker.isEmpty, payload.count >= marker.count else { return }
        for start in 0...(payload.count - marker.count) where payload[start..<(start + marker.count)].elementsEqual(marker) {
            fatalError("test hook: a deliberately fatal message")
        }
    }
    #else
    @inline(__always)
    static func testFatalHook(_ payload: [UInt8]) {}
    #endif
}
