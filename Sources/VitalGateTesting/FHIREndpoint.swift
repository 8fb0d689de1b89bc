import Foundation
public import HTTP

/// The test FHIR R4 server (`Tests/DeliveryTests/Endpoint/fhir_endpoint.py`): transaction
/// Bundles and conditional create over SQLite, every resource validated with fhir.resources,
/// failures on command. Runs with the FHIR validator's interpreter.
public final class FHIREndpoint: @unchecked Sendable {
    // @unchecked Sendable is safe: the stored properties are lets of Sendable types, except
    // `admin`, an HTTP client whose every use is inside `lock`.

    static let script = AgentBinary.repositoryRoot.appendingPathComponent("Tests/DeliveryTests/Endpoint/fhir_endpoint.py").path

    /// The running server.
    public let server: PythonServer
    /// Where it stores resources (kept across a restart of the endpoint in a test).
    public let database: String
    private let storage: TemporaryDirectory?
    private let admin: HTTPClient
    private let lock = NSLock()
    private let tls: Bool

    /// Starts an endpoint; `arguments` adds options (`--bearer`, `--tls-cert`…, `--no-validate`).
    /// `database` reuses a file (a restarted endpoint); by default a new one.
    public init(arguments: [String] = [], database: String? = nil, tls: Bool = false, adminOptions: HTTPClient.Options? = nil) throws {
        if let database {
            self.database = database
            storage = nil
        } else {
            let directory = try TemporaryDirectory(prefix: "vitalgate-fhir")
            storage = directory
            self.database = directory.appending("fhir.sqlite").path
        }
        server = try PythonServer(python: try FHIRValidator.python(), script: Self.script,
                                  arguments: ["--db", self.database] + arguments)
        admin = try HTTPClient(options: adminOptions ?? HTTPClient.Options())
        self.tls = tls
    }

    deinit { storage?.remove() }

    /// The FHIR base URL.
    public var baseURL: String { server.baseURL(tls: tls) }

    /// `POST /_control` with `command` (JSON), e.g. `{"faults":[{"mode":"500","count":1}]}`.
    public func control(_ command: String) throws {
        let response = try request("POST", "/_control", body: Array(command.utf8))
        guard response.status == 200 else { throw FHIREndpointError(reason: "control refused: \(text(response))") }
    }

    /// `GET /_stats`: transactions, failures by mode, entries created and existing, resources
    /// by type, duplicates, token requests, validation errors.
    public func stats() throws -> [String: Any] {
        try json(request("GET", "/_stats")) as? [String: Any] ?? [:]
    }

    /// `GET /_dump?type=T`: the stored resources of a type in server order, each
    /// `{id, type, identifier, transaction, resource}`.
    public func dump(_ type: String) throws -> [[String: Any]] {
        try json(request("GET", "/_dump?type=\(type)")) as? [[String: Any]] ?? []
    }

    /// The count of stored resources of `type`.
    public func count(_ type: String) throws -> Int {
        (try stats()["resources"] as? [String: Any])?[type] as? Int ?? 0
    }

    private func request(_ method: String, _ path: String, body: [UInt8] = []) throws -> HTTPResponse {
        try lock.withLock {
            try admin.send(HTTPRequest(method: method, url: baseURL + path,
                                       headers: body.isEmpty ? [] : [("Content-Type", "application/json")], body: body))
        }
    }

    private func json(_ response: HTTPResponse) throws -> Any {
        guard response.status == 200 else { throw FHIREndpointError(reason: "\(response.status): \(text(response))") }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    private func text(_ response: HTTPResponse) -> String { String(decoding: response.body.prefix(2000), as: UTF8.self) }
}

/// An admin request to the test FHIR endpoint failed.
public struct FHIREndpointError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
