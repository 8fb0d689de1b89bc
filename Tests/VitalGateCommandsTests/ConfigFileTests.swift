import Foundation
import LocalBroker
import MQTT
import Testing
import VitalGateCommands
import VitalGateTesting

/// An `evm` ledger with an endpoint, a chain and a contract, and nothing that backs its confirmations.
private let evmLedger = "[ledger]\nbackend = \"evm\"\nendpoint = \"http://node:8545\"\nchain_id = 5\n"
    + "contract = \"0x\(String(repeating: "ab", count: 20))\"\n"

/// `Config/vitalgate.conf` of this repository.
private let shippedConfigPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Config/vitalgate.conf").path

@Suite struct ConfigFileTests {
    // MARK: The shipped file

    @Test func shippedFileParsesToTheBuiltInDefaults() throws {
        #expect(try AgentConfig.load(path: shippedConfigPath) == AgentConfig())
    }

    @Test func shippedFileDocumentsEverySetting() throws {
        let text = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let file = try ConfigFile.parse(text)
        let keys = file.sections.flatMap { section in section.entries.map { "\(section.name).\($0.key)" } }
        #expect(keys == [
            "gateway.id", "gateway.data_dir", "gateway.metrics_interval_seconds",
            "mqtt.broker", "mqtt.protocol", "mqtt.client_id", "mqtt.keepalive_seconds",
            "mqtt.session_expiry_seconds", "mqtt.max_inflight", "mqtt.username", "mqtt.password_file",
            "mqtt.tls.ca_file", "mqtt.tls.cert_file", "mqtt.tls.key_file", "mqtt.tls.insecure",
            "reconnect.initial_ms", "reconnect.max_ms", "reconnect.jitter",
            "ingest.topics", "ingest.max_batch", "ingest.max_payload_bytes", "ingest.max_future_skew_seconds",
            "ingest.synchronous",
            "schemas.directory", "sealing.batch_max_readings", "sealing.batch_max_age_ms",
            "sealing.witness_keys", "sealing.min_cosignatures",
            "detection.enabled", "detection.threshold",
            "storage.max_bytes", "storage.when_full", "storage.vacuum_at_start_max_bytes",
            "retention.enabled", "retention.keep_days", "ledger.backend", "ledger.poll_seconds",
            "ledger.endpoint", "ledger.endpoint_ca_file", "ledger.endpoint_cert_file", "ledger.endpoint_key_file",
            "ledger.chain_id", "ledger.contract", "ledger.confirmations", "ledger.qbft_validators",
            "ledger.witnesses", "ledger.witness_ca_files", "ledger.witness_cert_files", "ledger.witness_key_files",
            "ledger.pinned_blocks", "ledger.trust", "ledger.max_fee_gwei",
            "egress.ndjson", "egress.ndjson_max_age_seconds", "egress.patient_identifier_system",
            "egress.upstream", "egress.upstream_topic", "egress.upstream_ca_file", "egress.upstream_cert_file",
            "egress.upstream_key_file", "egress.fhir", "egress.fhir_ca_file", "egress.fhir_cert_file", "egress.fhir_key_file",
            "egress.fhir_token_file", "egress.fhir_oauth_token_url", "egress.fhir_oauth_client_id",
            "egress.fhir_oauth_secret_file", "egress.fhir_oauth_scope", "egress.fhir_batch", "egress.fhir_timeout_seconds",
            "egress.fhir_recipient", "egress.fhir_purpose", "egress.upstream_recipient", "egress.upstream_purpose",
            "egress.ndjson_recipient", "egress.ndjson_purpose",
            "fleet.enabled", "fleet.groups", "fleet.operators_file", "fleet.confirm_timeout_seconds",
            "consent.enabled", "consent.authority_keys_file", "consent.treatment_recipients", "consent.break_glass",
            "consent.when_denied", "consent.hold_seconds", "consent.disclosure_window_seconds", "consent.alerts_topic_patient", "consent.alerts_topic_recipient",
            "consent.registry.contract", "consent.registry.authority", "consent.registry.pseudonym_key_file",
            "consent.registry.grantees", "consent.registry.purposes", "consent.registry.poll_seconds",
            "consent.registry.max_staleness_seconds", "consent.registry.max_age_blocks", "consent.registry.endpoint",
            "consent.registry.endpoint_ca_file", "consent.registry.endpoint_cert_file", "consent.registry.endpoint_key_file",
            "http.listen", "http.user", "http.password_file", "http.stall_seconds", "http.ack_lag_seconds",
            "http.anchor_lag_seconds", "http.delivery_lag_seconds",
        ])
        // Every setting line carries a comment.
        let settingLines = text.split(separator: "\n").filter { $0.contains(" = ") && !$0.hasPrefix("#") }
        #expect(settingLines.count == keys.count)
        #expect(settingLines.allSatisfy { $0.contains("#") })
    }

    // MARK: The generic parser

    @Test func parsesEveryValueForm() throws {
        let text = """
            top = 1 # root keys are allowed by the generic parser
            [a]
            s = "q\\"uote \\\\ back\\nnew\\ttab # not a comment"
            empty = ""
            i = -1_000
            plus = +7
            zero = 0
            f = 0.25
            e = 1e-3
            E = -2.5E+2
            yes = true
            no = false
            [ a . b ]\t# spaces around the dot
            list = [
              "x",   # first
              "y",
            ]
            nums = [1, 2.5, -3]
            none = []
            """
        let file = try ConfigFile.parse(text)
        #expect(file.entry("", "top")?.value == .integer(1))
        #expect(file.entry("a", "s")?.value == .string("q\"uote \\ back\nnew\ttab # not a comment"))
        #expect(file.entry("a", "empty")?.value == .string(""))
        #expect(file.entry("a", "i")?.value == .integer(-1000))
        #expect(file.entry("a", "plus")?.value == .integer(7))
        #expect(file.entry("a", "zero")?.value == .integer(0))
        #expect(file.entry("a", "f")?.value == .float(0.25))
        #expect(file.entry("a", "e")?.value == .float(0.001))
        #expect(file.entry("a", "E")?.value == .float(-250))
        #expect(file.entry("a", "yes")?.value == .boolean(true))
        #expect(file.entry("a", "no")?.value == .boolean(false))
        #expect(file.entry("a.b", "list")?.value == .array([.string("x"), .string("y")]))
        #expect(file.entry("a.b", "list")?.line == 14)
        #expect(file.entry("a.b", "nums")?.value == .array([.integer(1), .float(2.5), .integer(-3)]))
        #expect(file.entry("a.b", "nums")?.line == 18)
        #expect(file.entry("a.b", "none")?.value == .array([]))
        #expect(file.section("a.b")?.line == 13)
    }

    @Test func acceptsWindowsLineEndingsAndAByteOrderMark() throws {
        let file = try ConfigFile.parse("\u{FEFF}[gateway]\r\nid = \"gw-1\" # c\r\n\r\ndata_dir = \"d\"\r\n")
        #expect(file.entry("gateway", "id")?.value == .string("gw-1"))
        #expect(file.entry("gateway", "data_dir")?.line == 4)
    }

    @Test(arguments: SyntaxCase.all)
    func syntaxErrorsNameTheirLine(_ c: SyntaxCase) {
        #expect {
            _ = try ConfigFile.parse(c.text)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == c.code && error.line == c.line
        }
    }

    @Test func syntaxErrorsNameTheKey() throws {
        let error = try #require(throws: ConfigError.self) {
            try AgentConfig.parse("[mqtt]\nbroker = \"mqtt://h\n", path: "x.conf")
        }
        #expect(error.key == "mqtt.broker")
        #expect(error.description == "x.conf:2: mqtt.broker: string has no closing quote on this line")
    }

    // MARK: Agent settings

    @Test func missingKeysKeepTheirDefaults() throws {
        let config = try AgentConfig.parse("[mqtt]\nkeepalive_seconds = 60\n[detection]\nthreshold = 1\n")
        var expected = AgentConfig()
        expected.mqtt.keepAliveSeconds = 60
        expected.detection.threshold = 1.0  // an integer is accepted where a float belongs
        #expect(config == expected)
        #expect(try AgentConfig.parse("") == AgentConfig())
    }

    @Test func readsEverySection() throws {
        let config = try AgentConfig.parse("""
            [gateway]
            id = "ward-7"
            data_dir = "/var/lib/vitalgate"
            [mqtt]
            broker = "mqtts://broker.local"
            protocol = "3.1.1"
            username = "gw"
            [mqtt.tls]
            ca_file = "/etc/vg/ca.pem"
            insecure = true
            [reconnect]
            jitter = 0
            [ingest]
            topics = ["wban/v1/+/vitals", "wban/v1/+/info"]
            synchronous = "normal"
            [schemas]
            directory = "/opt/schemas"
            [detection]
            enabled = false
            [ledger]
            endpoint = "https://besu-1.hospital.example/rpc"
            endpoint_ca_file = "/etc/vg/ledger-ca.pem"
            endpoint_cert_file = "/etc/vg/gw.pem"
            endpoint_key_file = "/etc/vg/gw.key"
            """)
        #expect(config.gateway.id == "ward-7")
        #expect(config.ledger.endpoint == "https://besu-1.hospital.example/rpc")
        #expect(config.ledger.endpointCAFile == "/etc/vg/ledger-ca.pem")
        #expect(config.ledger.endpointCertFile == "/etc/vg/gw.pem" && config.ledger.endpointKeyFile == "/etc/vg/gw.key")
        #expect(config.gateway.dataDirectory == "/var/lib/vitalgate")
        #expect(config.mqtt.protocolVersion == .v311)
        #expect(config.mqtt.tls.caFile == "/etc/vg/ca.pem" && config.mqtt.tls.insecure)
        #expect(config.reconnect.backoff == ReconnectBackoff(initialMs: 500, maxMs: 30_000, jitter: 0))
        #expect(config.ingest.topics == ["wban/v1/+/vitals", "wban/v1/+/info"])
        #expect(config.ingest.synchronous == .normal)
        #expect(config.schemas.directory == "/opt/schemas")
        #expect(!config.detection.enabled)
    }

    @Test(arguments: [
        ("[mqtt]\nkeep_alive_seconds = 30\n", ConfigError.Code.unknownKey, 2, "mqtt.keep_alive_seconds"),
        ("[gateway]\nid = \"a\"\n\n[mqtt.tsl]\nca_file = \"\"\n", .unknownSection, 4, "mqtt.tsl"),
        ("[detections]\n", .unknownSection, 1, "detections"),
        ("id = \"gw\"\n", .unknownKey, 1, "id"),
        ("[mqtt]\n\nkeepalive_seconds = \"30\"\n", .wrongType, 3, "mqtt.keepalive_seconds"),
        ("[mqtt]\nprotocol = 5\n", .wrongType, 2, "mqtt.protocol"),
        ("[mqtt]\nprotocol = \"4\"\n", .invalidSetting, 2, "mqtt.protocol"),
        ("[ingest]\ntopics = [1, 2]\n", .wrongType, 2, "ingest.topics"),
        ("[ingest]\ntopics = \"wban/#\"\n", .wrongType, 2, "ingest.topics"),
        ("[ingest]\ntopics = [\"a/#/b\"]\n", .invalidSetting, 2, "ingest.topics"),
        ("[ingest]\nsynchronous = \"extra\"\n", .invalidSetting, 2, "ingest.synchronous"),
        ("[detection]\nenabled = \"yes\"\n", .wrongType, 2, "detection.enabled"),
        ("[detection]\nthreshold = 1.5\n", .invalidSetting, 2, "detection.threshold"),
        ("[fleet]\nenabled = true\n", .invalidSetting, 2, "fleet.enabled"),
        ("[fleet]\ngroups = [\"ward 3\"]\n", .invalidSetting, 2, "fleet.groups"),
        ("[consent]\nauthority_keys_file = \"/x\"\n", .invalidSetting, 2, "consent.authority_keys_file"),
        ("[consent]\ntreatment_recipients = [\"\"]\n", .invalidSetting, 2, "consent.treatment_recipients"),
        ("[storage]\nmax_bytes = -1\n", .invalidSetting, 2, "storage.max_bytes"),
        ("[egress]\nndjson_max_age_seconds = -1\n", .invalidSetting, 2, "egress.ndjson_max_age_seconds"),
        ("[egress]\npatient_identifier_system = \"a|b\"\n", .invalidSetting, 2, "egress.patient_identifier_system"),
        ("[egress]\nfhir = \"ftp://ehr\"\n", .invalidSetting, 2, "egress.fhir"),
        ("[egress]\nfhir_cert_file = \"c.pem\"\n", .invalidSetting, nil, "egress.fhir_key_file"),
        ("[egress]\nfhir_oauth_token_url = \"https://idp/token\"\n", .invalidSetting, 2, "egress.fhir_oauth_token_url"),
        ("[egress]\nfhir_token_file = \"t\"\nfhir_oauth_token_url = \"u\"\nfhir_oauth_client_id = \"c\"\nfhir_oauth_secret_file = \"s\"\n",
         .invalidSetting, 2, "egress.fhir_token_file"),
        ("[egress]\nfhir_batch = 0\n", .invalidSetting, 2, "egress.fhir_batch"),
        ("[egress]\nfhir_timeout_seconds = 0\n", .invalidSetting, 2, "egress.fhir_timeout_seconds"),
        ("[ledger]\nbackend = \"bitcoin\"\n", .invalidSetting, 2, "ledger.backend"),
        ("[ledger]\nbackend = \"evm\"\nendpoint = \"ftp://node\"\n", .invalidSetting, 3, "ledger.endpoint"),
        // Issue 21: confirmations from the endpoint alone are refused (unless opted into by name).
        (evmLedger, .invalidSetting, nil, "ledger.witnesses"),
        (evmLedger + "trust = \"sole\"\n", .invalidSetting, 6, "ledger.trust"),
        (evmLedger + "witnesses = [\"http://node:8545\"]\n", .invalidSetting, 6, "ledger.witnesses"),
        (evmLedger + "witnesses = [\"http://w:8545\"]\nwitness_ca_files = [\"ca.pem\"]\n", .invalidSetting, 7,
         "ledger.witness_ca_files"),
        (evmLedger + "witnesses = [\"https://w\", \"https://v\"]\nwitness_cert_files = [\"c.pem\"]\n", .invalidSetting, 7,
         "ledger.witness_cert_files"),
        (evmLedger + "witnesses = [\"https://w\"]\nwitness_cert_files = [\"c.pem\"]\n", .invalidSetting, nil,
         "ledger.witness_key_files"),
        (evmLedger + "pinned_blocks = [\"0x1234\"]\n", .invalidSetting, 6, "ledger.pinned_blocks"),
        ("[ledger]\nendpoint = \"https://node\"\nendpoint_cert_file = \"c.pem\"\n", .invalidSetting, nil,
         "ledger.endpoint_key_file"),
        ("[ledger]\nendpoint = \"http://node:8545\"\nendpoint_ca_file = \"ca.pem\"\n", .invalidSetting, 3,
         "ledger.endpoint_ca_file"),
        ("[ledger]\nendpoint = \"http://node:8545\"\nendpoint_cert_file = \"c.pem\"\nendpoint_key_file = \"k.pem\"\n",
         .invalidSetting, 3, "ledger.endpoint_cert_file"),
        ("[reconnect]\n# c\njitter = 2\n", .invalidSetting, 3, "reconnect.jitter"),
        ("[reconnect]\ninitial_ms = 1000\nmax_ms = 10\n", .invalidSetting, 3, "reconnect.max_ms"),
        ("[mqtt]\nbroker = \"http://h\"\n", .invalidSetting, 2, "mqtt.broker"),
        ("[mqtt]\nkeepalive_seconds = 2\n", .invalidSetting, 2, "mqtt.keepalive_seconds"),
        ("[gateway]\nid = \"a/b\"\n", .invalidSetting, 2, "gateway.id"),
        ("[mqtt.tls]\ncert_file = \"c.pem\"\n", .invalidSetting, nil, "mqtt.tls.key_file"),
        ("[consent]\ndisclosure_window_seconds = 86401\n", .invalidSetting, 2, "consent.disclosure_window_seconds"),
        ("[consent]\ndisclosure_window_seconds = -1\n", .invalidSetting, 2, "consent.disclosure_window_seconds"),
    ] as [(String, ConfigError.Code, Int?, String)])
    func badSettingsAreRejectedWithLineAndKey(text: String, code: ConfigError.Code, line: Int?, key: String) {
        #expect {
            _ = try AgentConfig.parse(text, path: "t.conf")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == code && error.line == line && error.key == key && error.path == "t.conf"
        }
    }

    @Test func errorsNeverRepeatConfiguredValues() {
        let secret = "hunter2-Sw0rdfish"
        let texts = [
            "[mqtt]\npassword = \"\(secret)\"\n",
            "[mqtt]\nusername = [\"\(secret)\"]\n",
            "[mqtt]\nprotocol = \"\(secret)\"\n",
            "[mqtt]\nbroker = \"mqtt://user:\(secret)@host\"\n",
            "[mqtt]\nusername = \"\(secret)\" \(secret)\n",
            "[mqtt]\nusername = \"\(secret)\n",
        ]
        for text in texts {
            #expect {
                _ = try AgentConfig.parse(text)
            } throws: { error in
                "\(error)".contains("hunter2") == false && (error as? ConfigError)?.line == 2
            }
        }
    }

    @Test func missingUnreadableAndNonTextFilesAreTypedErrors() throws {
        let missing = try #require(throws: ConfigError.self) { try AgentConfig.load(path: "/nonexistent/vitalgate.conf") }
        #expect(missing.code == .missingFile && missing.description == "/nonexistent/vitalgate.conf: no such file")
        let directory = try #require(throws: ConfigError.self) { try AgentConfig.load(path: "/") }
        #expect(directory.code == .unreadableFile && directory.description == "/: cannot read the file: Is a directory")
        let dir = try TemporaryDirectory(prefix: "vitalgate-config")
        defer { dir.remove() }
        let latin1 = dir.appending("latin1.conf").path
        try Data([0x23, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        let notText = try #require(throws: ConfigError.self) { try AgentConfig.load(path: latin1) }
        #expect(notText.code == .unreadableFile && notText.description == "\(latin1): not UTF-8 text")
    }
}

/// One malformed text and where the parser must report it.
struct SyntaxCase: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var code: ConfigError.Code
    var line: Int

    var testDescription: String { name }

    static let all: [SyntaxCase] = [
        .init(name: "unclosed header", text: "[gateway\nid = \"x\"\n", code: .invalidSectionHeader, line: 1),
        .init(name: "empty header", text: "\n[]\n", code: .invalidSectionHeader, line: 2),
        .init(name: "array of tables", text: "[[gateway]]\n", code: .invalidSectionHeader, line: 1),
        .init(name: "header then text", text: "[a]\n[b] c\n", code: .trailingCharacters, line: 2),
        .init(name: "quoted key", text: "[a]\n\"id\" = 1\n", code: .invalidKey, line: 2),
        .init(name: "dotted key", text: "[a]\n\nb.c = 1\n", code: .invalidKey, line: 3),
        .init(name: "no equals", text: "[a]\nid \"x\"\n", code: .expectedEquals, line: 2),
        .init(name: "no value", text: "[a]\n\nid =   # nothing\n", code: .missingValue, line: 3),
        .init(name: "no value at end", text: "[a]\nid =", code: .missingValue, line: 2),
        .init(name: "bare word", text: "[a]\nid = gw\n", code: .invalidValue, line: 2),
        .init(name: "literal string", text: "[a]\nid = 'gw'\n", code: .invalidValue, line: 2),
        .init(name: "multi-line string", text: "[a]\nid = \"\"\"x\"\"\"\n", code: .invalidValue, line: 2),
        .init(name: "inline table", text: "[a]\nt = {x = 1}\n", code: .invalidValue, line: 2),
        .init(name: "leading zero", text: "[a]\nn = 007\n", code: .invalidValue, line: 2),
        .init(name: "bad underscore", text: "[a]\nn = 1__0\n", code: .invalidValue, line: 2),
        .init(name: "bare dot float", text: "[a]\nn = 1.\n", code: .invalidValue, line: 2),
        .init(name: "hex", text: "[a]\nn = 0x1F\n", code: .invalidValue, line: 2),
        .init(name: "infinity", text: "[a]\nn = +inf\n", code: .invalidValue, line: 2),
        .init(name: "huge integer", text: "[a]\nn = 99999999999999999999\n", code: .invalidValue, line: 2),
        .init(name: "bad boolean", text: "[a]\nb = True\n", code: .invalidValue, line: 2),
        .init(name: "unterminated string", text: "[a]\nx = 1\ny = \"abc\nz = 2\n", code: .unterminatedString, line: 3),
        .init(name: "backslash at end", text: "[a]\ny = \"abc\\\n", code: .unterminatedString, line: 2),
        .init(name: "unknown escape", text: "[a]\ny = \"a\\qb\"\n", code: .invalidEscape, line: 2),
        .init(name: "unicode escape", text: "[a]\n\ny = \"\\u00e9\"\n", code: .invalidEscape, line: 3),
        .init(name: "raw control character", text: "[a]\ny = \"a\u{01}b\"\n", code: .invalidValue, line: 2),
        .init(name: "array runs into next key", text: "[i]\ntopics = [\"a\",\n  \"b\"\nmax_batch = 3\n", code: .unterminatedArray, line: 2),
        .init(name: "array after comma runs into next key", text: "[i]\n\ntopics = [\"a\",\nmax_batch = 3\n", code: .unterminatedArray, line: 3),
        .init(name: "array at end of file", text: "[i]\ntopics = [\"a\"", code: .unterminatedArray, line: 2),
        .init(name: "array without comma", text: "[i]\ntopics = [\"a\" \"b\"]\n", code: .invalidValue, line: 2),
        .init(name: "nested array", text: "[i]\nx = [[1]]\n", code: .invalidValue, line: 2),
        .init(name: "mixed array", text: "[i]\nx = [\n\"a\",\n1]\n", code: .invalidValue, line: 4),
        .init(name: "two values", text: "[d]\nenabled = true false\n", code: .trailingCharacters, line: 2),
        .init(name: "value then text", text: "[d]\nn = \"x\" y\n", code: .trailingCharacters, line: 2),
        .init(name: "duplicate key", text: "[d]\nenabled = true\nthreshold = 0.5\nenabled = false\n", code: .duplicateKey, line: 4),
        .init(name: "duplicate section", text: "[mqtt]\n[gateway]\n# x\n[mqtt]\n", code: .duplicateSection, line: 4),
    ]
}
