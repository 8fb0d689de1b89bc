import Foundation
import LocalBroker
import MQTT
import Testing
import VitalGateCommands
import VitalGateTesting

@Suite struct AgentOptionsTests {
    private func withConfigFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let dir = try TemporaryDirectory(prefix: "vitalgate-config")
        defer { dir.remove() }
        let path = dir.appending("agent.conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try body(path)
    }

    // MARK: Command-line overrides

    @Test func commandLineOverridesWinOverTheFile() throws {
        let file = """
            [gateway]
            id = "from-file"
            data_dir = "file-data"
            [mqtt]
            broker = "mqtt://file.host:1883"
            protocol = "5"
            keepalive_seconds = 45
            [schemas]
            directory = "file-schemas"
            """
        try withConfigFile(file) { path in
            let options = try AgentOptions.parse([
                "--config", path, "--broker", "mqtts://cli.host:8884", "--data-dir", "cli-data",
                "--gateway", "from-cli", "--protocol", "3.1.1", "--schemas", "cli-schemas",
            ])
            let config = try options.resolve()
            #expect(config.mqtt.broker == "mqtts://cli.host:8884")
            #expect(config.gateway.dataDirectory == "cli-data")
            #expect(config.gateway.id == "from-cli")
            #expect(config.mqtt.protocolVersion == .v311)
            #expect(config.schemas.directory == "cli-schemas")
            #expect(config.mqtt.keepAliveSeconds == 45, "settings without an override come from the file")

            let fileOnly = try AgentOptions.parse(["--config", path]).resolve()
            #expect(fileOnly.gateway.id == "from-file")
            #expect(fileOnly.mqtt.broker == "mqtt://file.host:1883")
        }
    }

    @Test func withoutConfigTheDefaultFileOrBuiltInDefaultsApply() throws {
        // The working directory is the package root, whose Config/vitalgate.conf holds the defaults.
        #expect(try AgentOptions.parse([]).resolve() == AgentConfig())
        #expect(try AgentOptions.parse(["--gateway", "g2"]).resolve().clientID == "vitalgate-g2")
    }

    @Test func theFileIsTheGivenOneElseTheCheckoutsElseTheInstalledOneElseNone() throws {
        let checkout = "Config/vitalgate.conf", installed = "/etc/vitalgate/vitalgate.conf"
        #expect(AgentOptions.defaultConfigPaths == [checkout, installed])
        let options = try AgentOptions.parse([])
        #expect(options.configPath(exists: { _ in true }) == checkout)
        #expect(options.configPath(exists: { $0 == installed }) == installed)
        #expect(options.configPath(exists: { _ in false }) == nil)
        #expect(try AgentOptions.parse(["--config", "a.conf"]).configPath(exists: { _ in false }) == "a.conf")
    }

    @Test func malformedOverridesAreRejected() throws {
        // One line naming the option (exit status 64), not ArgumentParser's usage text.
        let broker = try #require(throws: ConfigError.self) { try AgentOptions.parse(["--broker", "http://x"]).resolve() }
        #expect(broker.description == "--broker: must be mqtt://host[:port] or mqtts://host[:port]")
        let version = try #require(throws: ConfigError.self) { try AgentOptions.parse(["--protocol", "4"]).resolve() }
        #expect(version.description == "--protocol: must be 5 or 3.1.1")
        let error = try #require(throws: ConfigError.self) {
            try AgentOptions.parse(["--gateway", "a/b"]).resolve()
        }
        #expect(error.key == "--gateway" && error.line == nil && error.code == .invalidSetting)
        #expect(throws: ConfigError.self) { try AgentOptions.parse(["--config", "/nonexistent.conf"]).resolve() }
    }

    @Test func aBadFileStillFailsWithOverrides() throws {
        try withConfigFile("[mqtt]\nbrokr = \"mqtt://x\"\n") { path in
            let error = try #require(throws: ConfigError.self) {
                try AgentOptions.parse(["--config", path, "--broker", "mqtt://y"]).resolve()
            }
            #expect(error.code == .unknownKey && error.line == 2 && error.path == path)
        }
    }

    // MARK: MQTT options

    @Test func mqttOptionsCarryClientIDWillAndSession() throws {
        let options = try AgentConfig().mqttOptions()
        #expect(options.clientID == "vitalgate-gw-local")
        #expect(options.will == MQTTOptions.Message(topic: "vitalgate/gw-local/status", payload: Array("offline".utf8),
                                                    qos: 1, retain: true))
        #expect(options.broker == BrokerAddress(host: "127.0.0.1", port: 1883))
        #expect(options.protocolVersion == .v5)
        #expect(options.persistentSession)
        #expect(options.sessionExpirySeconds == 604_800)
        #expect(options.keepAliveSeconds == 30)
        #expect(options.maxInflight == 10_000)
        #expect(options.username == nil && options.password == nil && options.tls == nil)

        var named = AgentConfig()
        named.gateway.id = "ward-3"
        named.mqtt.clientID = "custom-id"
        let custom = try named.mqttOptions()
        #expect(custom.clientID == "custom-id")
        #expect(custom.will?.topic == "vitalgate/ward-3/status")
    }

    @Test func tlsIsEnabledByMqttsOrAnyTLSSetting() throws {
        var config = AgentConfig()
        config.mqtt.broker = "mqtts://broker.local"
        #expect(try config.mqttOptions().tls == MQTTOptions.TLS())
        #expect(try config.mqttOptions().broker.port == 8883)

        config = AgentConfig()
        config.mqtt.tls.caFile = "/etc/ca.pem"
        config.mqtt.tls.certFile = "/etc/client.pem"
        config.mqtt.tls.keyFile = "/etc/client.key"
        #expect(try config.mqttOptions().tls == MQTTOptions.TLS(caFile: "/etc/ca.pem", certFile: "/etc/client.pem",
                                                              keyFile: "/etc/client.key"))
        config.mqtt.tls.keyFile = ""
        #expect(throws: ConfigError.self) { try config.mqttOptions() }
    }

    @Test func passwordComesFromItsFileAndNeverFromErrors() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-secret")
        defer { dir.remove() }
        let path = dir.appending("password").path
        try "s3cret-pw\n".write(toFile: path, atomically: true, encoding: .utf8)
        var config = AgentConfig()
        config.mqtt.username = "gw"
        config.mqtt.passwordFile = path
        let options = try config.mqttOptions()
        #expect(options.username == "gw" && options.password == "s3cret-pw")

        config.mqtt.username = ""
        #expect(throws: ConfigError.self) { try config.mqttOptions() }  // a password needs a username
        config.mqtt.username = "gw"
        config.mqtt.passwordFile = dir.appending("missing").path
        let error = try #require(throws: ConfigError.self) { try config.mqttOptions() }
        #expect(error.code == .missingFile && error.description == "mqtt.password_file: no such file")
    }

    /// The will built from the configuration reaches a real broker's subscribers, retained.
    @Test func theWillFromTheConfigurationIsPublishedWhenTheGatewayDrops() throws {
        let broker = try LocalBroker()
        let options = try AgentOptions.parse(["--broker", broker.address.description, "--gateway", "gw-will"])
        let mqtt = try options.resolve().mqttOptions()
        let watcher = try MQTTTestClient.connect(broker.address, id: "watcher")
        try watcher.subscribe("vitalgate/+/status", qos: 1)
        let gateway = try MQTTClient(options: mqtt)
        try gateway.connect()
        gateway.abortConnection()
        let got = try MQTTTestClient.collect(watcher, count: 1, timeoutMs: 5000)
        #expect(got.map(\.topic) == ["vitalgate/gw-will/status"])
        #expect(got.first?.payload == Array("offline".utf8))

        let late = try MQTTTestClient.connect(broker.address, id: "late")
        try late.subscribe("vitalgate/+/status", qos: 1)
        let retained = try MQTTTestClient.collect(late, count: 1, timeoutMs: 5000)
        #expect(retained.first?.payload == Array("offline".utf8))
        #expect(retained.first?.retain == true, "a late subscriber gets the retained will")
    }
}
