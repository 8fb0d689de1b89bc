import Delivery
import Foundation
import HTTP
import Testing
import Vault
import VitalGateTesting

/// Issue 19, the `fhir` sink against a FHIR R4 server that runs here (`Endpoint/fhir_endpoint.py`:
/// transaction Bundles, conditional create, SQLite, every resource validated with fhir.resources
/// and the vital-signs rules), told to fail in each way a real one does.
@Suite(.serialized) struct FHIRSinkTests {
    static let mapping = FHIRMapping(gatewayID: "gw-1", patientIdentifierSystem: "urn:oid:2.16.840.1.113883.19.5")

    static func worker(_ fixture: DeliveryFixture, _ sink: FHIRSink, batch: Int = 40) -> DeliveryWorker {
        DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: batch,
                                            backoff: ReconnectBackoffDefaults.test),
                       sink: sink)
    }

    /// The resources the fixture's records map to, by type (Devices once each).
    static func expectedResources(_ vault: Vault) throws -> [String: Int] {
        let (entries, _) = try vault.outbox(after: 0, limit: 1_000_000) { _, _ in }
        var counts: [String: Int] = [:]
        var devices: Set<String> = []
        for entry in entries {
            if case .reading(let reading) = entry.content { devices.insert(reading.device.rawValue) }
            for resource in mapping.resources(for: entry) { counts[resource.resourceType, default: 0] += 1 }
        }
        counts["Device"] = devices.count
        return counts
    }

    static func validationErrors(_ endpoint: FHIREndpoint) throws -> [String] {
        try endpoint.stats()["validation_errors"] as? [String] ?? []
    }

    @Test func everyRecordArrivesOnceValidAndASecondSendingCreatesNothing() throws {
        let fixture = try DeliveryFixture(patients: 2, seconds: 60)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint()
        let sink = try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping)
        NDJSONDeliveryTests.drain(Self.worker(fixture, sink), vault)
        let cursor = try vault.sinkCursor("fhir")
        #expect(cursor.lastID == (try vault.newestRecordID()) && cursor.deadLetters == 0)
        #expect(cursor.delivered == Int64(fixture.readings + fixture.alerts))
        let stats = try endpoint.stats()
        #expect(try Self.validationErrors(endpoint).isEmpty)
        #expect(stats["duplicates"] as? Int == 0)
        let expected = try Self.expectedResources(vault)
        #expect(stats["resources"] as? [String: Int] == expected)
        #expect(expected["Observation", default: 0] > 100 && expected["DetectedIssue"] == fixture.alerts)
        #expect(sink.connectionsOpened == 1, "one kept-alive connection")

        // Every record again, as after a crash that lost the cursor: all "200 OK", nothing new.
        let existingBefore = stats["entries_existing"] as? Int ?? -1  // Devices sent with each Bundle
        let again = try FHIRSink(name: "fhir-again", baseURL: endpoint.baseURL, mapping: Self.mapping)
        NDJSONDeliveryTests.drain(Self.worker(fixture, again, batch: 100), vault)
        let after = try endpoint.stats()
        #expect(after["resources"] as? [String: Int] == expected)
        #expect(after["duplicates"] as? Int == 0)
        #expect(after["entries_created"] as? Int == stats["entries_created"] as? Int)
        #expect((after["entries_existing"] as? Int ?? 0) - existingBefore >= expected.values.reduce(0, +) - expected["Device", default: 0])
    }

    @Test func eachPatientsObservationsArriveInTheOrderTheyWereStored() throws {
        let fixture = try DeliveryFixture(patients: 3, seconds: 40)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate"])
        NDJSONDeliveryTests.drain(Self.worker(fixture, try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping), batch: 7), vault)
        func patient(_ observation: [String: Any]) -> String {
            ((observation["subject"] as? [String: Any])?["identifier"] as? [String: Any])?["value"] as? String ?? "-"
        }
        var stored: [String: [String]] = [:]  // patient → identifiers, in the vault's record order
        let (entries, _) = try vault.outbox(after: 0, limit: 1_000_000) { _, _ in }
        for entry in entries {
            for resource in Self.mapping.resources(for: entry) where resource.resourceType == "Observation" {
                stored[entry.patient ?? "-", default: []].append(resource.identifierToken)
            }
        }
        var received: [String: [String]] = [:]  // patient → identifiers, in the server's creation order
        for row in try endpoint.dump("Observation") {
            received[patient(try #require(row["resource"] as? [String: Any])), default: []].append(row["identifier"] as? String ?? "")
        }
        #expect(stored.count >= 3)
        #expect(received == stored)
    }

    @Test func eachKindOfFailureIsTypedAndRetriedWithoutDuplicates() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 30)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate"])
        let sink = try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping,
                                options: HTTPClient.Options(connectTimeoutMs: 2000, timeoutMs: 1500), bundleRecords: 4)
        let worker = Self.worker(fixture, sink, batch: 10)  // three Bundles per delivery
        let faults: [(String, String)] = [
            (#"{"mode":"500"}"#, "unavailable"), (#"{"mode":"503"}"#, "unavailable"),
            (#"{"mode":"429","retry_after":2}"#, "unavailable"), (#"{"mode":"timeout","seconds":3}"#, "timeout"),
            (#"{"mode":"drop"}"#, "unavailable"),
            // A kept-alive connection closed before any answer: libcurl sends once more on a new
            // connection by itself (safe: every create is conditional), so it must fail twice.
            (#"{"mode":"drop-before","count":2}"#, "unavailable"),
        ]
        for (fault, code) in faults {
            try endpoint.control(#"{"faults":[\#(fault)]}"#)
            let outcome = worker.round(vault)
            guard case .failed(let retryMs) = outcome else { Issue.record("\(fault): \(outcome)"); continue }
            if fault.contains("429") { #expect(retryMs == 2000, "Retry-After: 2 → \(retryMs) ms") }
            #expect(worker.metrics.failures[code, default: 0] > 0, "\(fault) → \(worker.metrics.failures)")
            #expect(worker.round(vault) == .progressed, "\(fault): the next attempt goes through")
        }
        NDJSONDeliveryTests.drain(worker, vault)
        #expect(worker.metrics.failures == ["unavailable": 5, "timeout": 1])
        let stats = try endpoint.stats()
        #expect(stats["duplicates"] as? Int == 0)
        #expect(stats["resources"] as? [String: Int] == (try Self.expectedResources(vault)))
        #expect(try vault.sinkCursor("fhir").lastError == nil)
    }

    @Test func aRecordTheServerRefusesIsDeadLetteredWithItsReasonAndTheRestArrive() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 30)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint()
        let (entries, _) = try vault.outbox(after: 0, limit: 1_000_000) { _, _ in }
        let refused = entries[entries.count / 2]
        let refusedValue = try #require(Self.mapping.resources(for: refused).first?.identifierValue)
        try endpoint.control(#"{"reject_identifier":"\#(refusedValue)"}"#)
        // Four Bundles per delivery: the refusal is found among Bundles posted one after another.
        let worker = Self.worker(fixture, try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping, bundleRecords: 8),
                                 batch: 32)
        NDJSONDeliveryTests.drain(worker, vault)
        let cursor = try vault.sinkCursor("fhir")
        #expect(cursor.lastID == (try vault.newestRecordID()))
        #expect(cursor.deadLetters == 1 && cursor.delivered == Int64(entries.count - 1))
        let dead = try vault.deadLetters("fhir")
        #expect(dead.map(\.recordID) == [refused.id])
        #expect(dead.first?.reason.hasPrefix("HTTP 400: business-rule") == true, "\(dead)")
        var expected = try Self.expectedResources(vault)
        expected["Observation", default: 0] -= Self.mapping.resources(for: refused).count
        #expect(try endpoint.stats()["resources"] as? [String: Int] == expected)
        #expect(worker.metrics.deadLetters == 1)
    }

    @Test func aServerThatRefusesEverythingDeadLettersNothing() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate"])
        let sink = try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping)
        // Every Device is refused: each record's Bundle carries its device.
        let (entries, _) = try vault.outbox(after: 0, limit: 100) { _, _ in }
        let devices = Set(entries.map(\.device)).filter { $0 != "-" }
        try endpoint.control(#"{"reject_identifier":[\#(devices.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        let worker = Self.worker(fixture, sink, batch: 16)
        guard case .failed = worker.round(vault) else { Issue.record("the batch did not fail"); return }
        #expect(worker.metrics.failures == ["rejected": 1])
        #expect(try vault.sinkCursor("fhir").deadLetters == 0 && (try vault.sinkCursor("fhir").lastID) == 0)
    }

    @Test func wrongEndpointsAndCredentialsAreTypedErrorsNotDeadLetters() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate", "--bearer", "right-token"])
        let tokenFile = fixture.dir.appending("token").path
        try "wrong-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let cases: [(FHIRSink, String)] = [
            (try FHIRSink(name: "a", baseURL: endpoint.baseURL, mapping: Self.mapping), "unauthorized"),
            (try FHIRSink(name: "b", baseURL: endpoint.baseURL, mapping: Self.mapping, credentials: .bearerTokenFile(tokenFile)),
             "unauthorized"),
            (try FHIRSink(name: "c", baseURL: endpoint.baseURL, mapping: Self.mapping,
                          credentials: .bearerTokenFile(fixture.dir.appending("missing").path)), "configuration"),
            (try FHIRSink(name: "d", baseURL: "http://127.0.0.1:1/fhir", mapping: Self.mapping), "unavailable"),
        ]
        for (sink, code) in cases {
            let worker = Self.worker(fixture, sink)
            guard case .failed = worker.round(vault) else { Issue.record("\(sink.name) did not fail"); continue }
            #expect(worker.metrics.failures == [code: 1], "\(sink.name)")
            #expect(try vault.sinkCursor(sink.name).lastError?.isEmpty == false)
            #expect(try vault.sinkCursor(sink.name).deadLetters == 0)
        }
        #expect(throws: DeliveryError.self) { try FHIRSink(baseURL: "ftp://x", mapping: Self.mapping) }

        // The token is rotated on disk: the next attempt reads it again after the 401.
        try "right-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let rotated = Self.worker(fixture, cases[1].0)
        NDJSONDeliveryTests.drain(rotated, vault)
        #expect(try vault.sinkCursor("b").lastID == (try vault.newestRecordID()))
    }

    @Test func oauth2TokensAreCachedAndRenewedWhenTheyExpire() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 20)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate", "--oauth-client", "gw-1:s3cret word", "--token-lifetime", "2"])
        let secretFile = fixture.dir.appending("secret").path
        try "s3cret word\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let sink = try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping,
                                credentials: .oauth2(tokenURL: endpoint.baseURL + "/token", clientID: "gw-1",
                                                     secretFile: secretFile, scope: "system/Observation.write"))
        let worker = Self.worker(fixture, sink, batch: 10)
        #expect(worker.round(vault) == .progressed)
        #expect(worker.round(vault) == .progressed)
        #expect(sink.tokenRequests == 1, "the token is reused while it is valid")
        Thread.sleep(forTimeInterval: 2.2)
        NDJSONDeliveryTests.drain(worker, vault)
        #expect(sink.tokenRequests == 2, "renewed once expired")
        #expect(try vault.sinkCursor("fhir").lastID == (try vault.newestRecordID()))
        #expect(try endpoint.stats()["auth_failures"] as? Int == 0)

        try "not the secret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let refused = Self.worker(fixture, try FHIRSink(name: "other", baseURL: endpoint.baseURL, mapping: Self.mapping,
                                                        credentials: .oauth2(tokenURL: endpoint.baseURL + "/token", clientID: "gw-1",
                                                                             secretFile: secretFile, scope: nil)))
        guard case .failed = refused.round(vault) else { Issue.record("a wrong secret was accepted"); return }
        #expect(refused.metrics.failures == ["unauthorized": 1])
    }

    @Test func mutualTLSWithATestCA() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let pki = try TestPKI()
        let client = HTTPClient.Options(caFile: pki.ca, certificateFile: pki.clientCert, keyFile: pki.clientKey)
        let endpoint = try FHIREndpoint(arguments: ["--no-validate", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey,
                                                    "--client-ca", pki.ca], tls: true, adminOptions: client)
        let trusted = Self.worker(fixture, try FHIRSink(baseURL: endpoint.baseURL, mapping: Self.mapping, options: client))
        NDJSONDeliveryTests.drain(trusted, vault)
        #expect(try vault.sinkCursor("fhir").lastID == (try vault.newestRecordID()))

        let anonymous = Self.worker(fixture, try FHIRSink(name: "anonymous", baseURL: endpoint.baseURL, mapping: Self.mapping,
                                                          options: HTTPClient.Options(caFile: pki.ca)))
        guard case .failed = anonymous.round(vault) else { Issue.record("no client certificate, yet delivered"); return }
        let untrusting = Self.worker(fixture, try FHIRSink(name: "untrusting", baseURL: endpoint.baseURL, mapping: Self.mapping))
        guard case .failed = untrusting.round(vault) else { Issue.record("an unknown CA was trusted"); return }
        #expect(untrusting.metrics.failures == ["tls": 1])
        #expect(try endpoint.stats()["duplicates"] as? Int == 0)
    }
}
