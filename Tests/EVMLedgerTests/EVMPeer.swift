@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import LocalBroker
import Secp256k1
import Telemetry
import VitalGateTesting
#if canImport(Glibc)
import Glibc
#endif

/// The py-evm JSON-RPC test peer (`Peer/evm_peer.py`), spawned for a test suite.
///
/// Spawned as a `ChildProcess`: stdin is a pipe the test process holds, and the peer runs with
/// `--exit-on-stdin-eof`, so it exits when the test process does, even on a crash. Any failure to
/// set up Python or start the peer throws: integration tests fail loudly, never skip.
final class EVMPeer: @unchecked Sendable {
    // @unchecked Sendable: `process` and the descriptors are written only in `init`; `stop()` is
    // guarded by `lock` and idempotent.
    let port: UInt16
    let chainID: UInt64
    let logPath: String
    /// The throwaway PKI when the peer serves HTTPS (and requires client certificates from it).
    let pki: TestPKI?
    let rpc: JSONRPCClient
    private let process: ChildProcess
    private let stdinWrite: Int32
    private let stdoutRead: Int32
    private let lock = NSLock()
    private var stopped = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let peerDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peer").path
    }()

    /// The interpreter: `VITALGATE_EVM_PEER_PYTHON` when set (scripts/test.sh exports it), else
    /// the venv from `setup.sh` (creates it and installs requirements.txt once, from PyPI).
    static let python: Result<String, Failure> = {
        if let configured = ProcessInfo.processInfo.environment["VITALGATE_EVM_PEER_PYTHON"], !configured.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: configured) else {
                return .failure(Failure(description: "VITALGATE_EVM_PEER_PYTHON=\(configured) is not executable"))
            }
            return .success(configured)
        }
        let output = NSTemporaryDirectory() + "evm-peer-setup-\(getpid()).txt"
        defer { unlink(output) }
        do {
            // setup.sh prints the interpreter as its last line; pip's output precedes it.
            let setup = try ChildProcess(executable: "/bin/bash", arguments: [peerDirectory + "/setup.sh"], outputPath: output)
            let status = setup.waitForExit()
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard status == 0, let line = text.split(separator: "\n").last, FileManager.default.isExecutableFile(atPath: String(line)) else {
                return .failure(Failure(description: "Peer/setup.sh failed (status \(status)): \(text.suffix(2000))"))
            }
            return .success(String(line))
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }()

    /// Starts a peer on a free port and waits for `LISTENING <port>`. With `pki` it serves HTTPS
    /// with the PKI's server certificate and requires a client certificate signed by its CA.
    init(chainID: UInt64 = 1337, pki: TestPKI? = nil, startTimeout: Double = 60) throws {
        let python = try Self.python.get()
        self.chainID = chainID
        self.pki = pki
        let tlsArguments = pki.map { ["--tls-cert", $0.serverCert, "--tls-key", $0.serverKey, "--client-ca", $0.ca] } ?? []
        logPath = NSTemporaryDirectory() + "evm-peer-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else {
            throw Failure(description: "pipe failed: errno \(errno)")
        }
        // Close-on-exec, so no other child inherits the peer's stdin (which would keep it alive).
        for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        process = try ChildProcess(executable: python,
                                   arguments: [Self.peerDirectory + "/evm_peer.py", "--port", "0", "--chain-id", String(chainID),
                                               "--exit-on-stdin-eof"] + tlsArguments,
                                   outputPath: logPath, standardInput: input[0], standardOutput: output[1])
        close(input[0])
        close(output[1])
        stdinWrite = input[1]
        stdoutRead = output[0]
        // Read stdout until the LISTENING line.
        let deadline = Date().addingTimeInterval(startTimeout)
        var text = ""
        var found: UInt16?
        while found == nil {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            var pfd = pollfd(fd: stdoutRead, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(remaining * 1000)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(stdoutRead, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            text += String(decoding: buffer[..<count], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("LISTENING ") {
                found = UInt16(line.dropFirst("LISTENING ".count).trimmingCharacters(in: .whitespaces))
            }
        }
        guard let found else {
            process.terminate(signal: SIGKILL)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw Failure(description: "the EVM peer did not start (stdout \(text.debugDescription)); stderr: \(log.suffix(3000))")
        }
        port = found
        rpc = try JSONRPCClient(endpoint: HTTPEndpoint(scheme: pki == nil ? .http : .https, host: "127.0.0.1", port: found),
                                transport: Self.transport(pki, connect: .seconds(2), request: .seconds(30)))
    }

    deinit { stop() }

    /// Stops the peer (SIGTERM, then reaps it).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        process.terminate(signal: SIGTERM)
        close(stdinWrite)
        close(stdoutRead)
        unlink(logPath)
    }

    /// `http://127.0.0.1:port/`, or `https://` when the peer serves TLS.
    var endpoint: HTTPEndpoint { HTTPEndpoint(scheme: pki == nil ? .http : .https, host: "127.0.0.1", port: port) }

    /// What a client of this peer needs: the test CA and a client certificate when it serves
    /// HTTPS, and the time limits.
    func transport(connect: Duration = .seconds(1), request: Duration = .seconds(10)) -> JSONRPCClient.Transport {
        Self.transport(pki, connect: connect, request: request)
    }

    private static func transport(_ pki: TestPKI?, connect: Duration, request: Duration) -> JSONRPCClient.Transport {
        JSONRPCClient.Transport(caFile: pki?.ca, certificateFile: pki?.clientCert, keyFile: pki?.clientKey,
                                connectTimeout: connect, requestTimeout: request)
    }

    // MARK: Test controls

    @discardableResult
    func call(_ method: String, _ params: [JSONValue] = []) throws -> JSONValue {
        try rpc.call(method, params)
    }

    /// Sends `wei` to `address` from the peer's funding key.
    func fund(_ address: EthereumAddress, wei: UInt64 = 10_000_000_000_000_000_000) throws {
        try call("test_fund", [.string(Hex.encode(address.bytes, prefix: true)), .string(Quantity(wei).description)])
    }

    func setAutoMine(_ on: Bool) throws { try call("test_setAutoMine", [.bool(on)]) }
    func mine(_ blocks: Int = 1) throws { try call("test_mine", [.number(Double(blocks))]) }
    func lie(_ mode: String) throws { try call("test_lie", [.string(mode)]) }
    func delay(ms: Int) throws { try call("test_delay", [.number(Double(ms))]) }
    func reset() throws {
        try lie("none")
        try delay(ms: 0)
        try setAutoMine(true)
    }

    func blockNumber() throws -> UInt64 {
        try NodeValues.uint64(call("eth_blockNumber"), "eth_blockNumber")
    }

    /// The canonical block hash at `number`, from the block JSON.
    func blockHash(_ number: UInt64) throws -> [UInt8] {
        let block = try call("eth_getBlockByNumber", [.string(Quantity(number).description), .bool(false)])
        return try NodeValues.fixedData(block["hash"], "hash", count: 32)
    }
}
