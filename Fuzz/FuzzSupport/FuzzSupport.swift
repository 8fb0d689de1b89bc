public import CFuzzer
import Glibc

/// Runs libFuzzer with `callback` as the target: parses libFuzzer's flags from the command
/// line, then fuzzes, minimises or replays as they say. Never returns.
///
/// `callback` is a C function pointer (a global function): libFuzzer calls it from its own
/// thread of control, so it must not be a closure literal inferred onto the main actor.
///
/// `--write-seeds DIR` instead writes `seeds()` (inputs a target builds with the library
/// itself, such as correctly signed documents) to DIR, one file each, and exits.
public func runFuzzer(_ callback: VGFuzzCallback, seeds: () -> [(name: String, bytes: [UInt8])] = { [] }) -> Never {
    let arguments = CommandLine.arguments
    if arguments.count == 3, arguments[1] == "--write-seeds" {
        for seed in seeds() {
            let path = arguments[2] + "/" + seed.name
            guard let file = fopen(path, "wb") else { finding("cannot write \(path)") }
            _ = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
        exit(0)
    }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, callback)
    exit(status)
}

/// The checkout a fuzz target was built from (fixtures are read from it).
public func repositoryRoot(_ file: String = #filePath) -> String {
    let parts = file.split(separator: "/", omittingEmptySubsequences: false)
    guard let fuzz = parts.lastIndex(of: "Fuzz") else { finding("\(file) is not under Fuzz/") }
    return parts[..<fuzz].joined(separator: "/")
}

/// The input as a Swift array (each target copies once; inputs are at most a few KiB).
@inline(__always)
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the fuzzer with a finding: an oracle (not only a trap) was violated.
public func finding(_ message: String) -> Never {
    let line = Array("FINDING: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// The bytes of a fixture file (a target's trust anchors or keys), read once at start.
public func readFile(_ path: String) throws(FixtureError) -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw FixtureError(path: path) }
    defer { fclose(file) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        result += buffer[0..<count]
    }
    return result
}

/// A fixture file that cannot be read.
public struct FixtureError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "cannot read \(path)" }
}
