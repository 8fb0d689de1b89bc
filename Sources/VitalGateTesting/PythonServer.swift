import Foundation
public import LocalBroker

/// A test server written in Python (the HTTP peer, the FHIR endpoint), started as a child
/// process on an ephemeral loopback port. The script takes `--port-file FILE` and writes its
/// port there once it listens. Stopped with SIGTERM when the value goes away.
public final class PythonServer: @unchecked Sendable {
    // @unchecked Sendable is safe: every stored property is a `let`; ChildProcess is Sendable.

    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// The process (to kill or restart it in a test).
    public let process: ChildProcess
    /// Its working files (the port file, its log).
    public let directory: TemporaryDirectory

    /// Starts `python script arguments… --port-file …` and waits (at most 30 s) until it listens.
    public init(python: String = "/usr/bin/python3", script: String, arguments: [String] = []) throws {
        directory = try TemporaryDirectory(prefix: "vitalgate-pyserver")
        let portFile = directory.appending("port").path
        process = try ChildProcess(executable: python, arguments: [script] + arguments + ["--port-file", portFile],
                                   outputPath: directory.appending("server.log").path)
        let deadline = Date().addingTimeInterval(30)
        while true {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                self.port = port
                return
            }
            guard process.isRunning, Date() < deadline else {
                _ = process.terminate(signal: SIGKILL)
                let log = (try? String(contentsOfFile: directory.appending("server.log").path, encoding: .utf8)) ?? ""
                throw PythonServerError(reason: "\(script) did not start: \(log.suffix(2000))")
            }
            usleep(20_000)
        }
    }

    deinit {
        _ = process.terminate(signal: SIGTERM)
        process.waitForExit()
        directory.remove()
    }

    /// `http://127.0.0.1:port` (or `https://` when `tls`).
    public func baseURL(tls: Bool = false) -> String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    /// The server's log so far.
    public var log: String {
        (try? String(contentsOfFile: directory.appending("server.log").path, encoding: .utf8)) ?? ""
    }
}

/// A ``PythonServer`` did not start; the reason ends with its log.
public struct PythonServerError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
