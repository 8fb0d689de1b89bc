import Foundation
import LocalBroker

/// A throwaway PKI made with the openssl command line: a CA, a server certificate for
/// 127.0.0.1 and a client certificate, all signed by the CA (valid for two days).
public struct TestPKI: Sendable {
    public let dir: TemporaryDirectory
    public var ca: String { dir.appending("ca.crt").path }
    public var serverCert: String { dir.appending("server.crt").path }
    public var serverKey: String { dir.appending("server.key").path }
    public var clientCert: String { dir.appending("client.crt").path }
    public var clientKey: String { dir.appending("client.key").path }

    /// Makes the CA and both certificates in a new temporary directory.
    public init() throws {
        dir = try TemporaryDirectory(prefix: "vitalgate-pki")
        let d = dir.path
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.crt", "-days", "2", "-subj", "/CN=VitalGate Test CA"])
        for (name, san) in [("server", "IP:127.0.0.1"), ("client", "DNS:gateway.test")] {
            try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", "/CN=\(name)"])
            try "subjectAltName=\(san)\n".write(toFile: "\(d)/\(name).ext", atomically: true, encoding: .utf8)
            try Self.openssl(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.crt", "-CAkey", "\(d)/ca.key",
                              "-CAcreateserial", "-out", "\(d)/\(name).crt", "-days", "2", "-extfile", "\(d)/\(name).ext"])
        }
    }

    /// Runs `openssl arguments…`.
    /// - Throws: ``PKIError`` naming the subcommand if it fails.
    public static func openssl(_ arguments: [String]) throws {
        let child = try ChildProcess(executable: "/usr/bin/openssl", arguments: arguments)
        child.waitForExit()
        guard child.exitCode == 0 else { throw PKIError(step: arguments[0]) }
    }
}

/// An openssl step of ``TestPKI`` failed.
public struct PKIError: Error, Sendable { public var step: String }
