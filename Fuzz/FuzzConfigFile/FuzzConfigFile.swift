import FuzzSupport
import VitalGateCommands

/// The agent's configuration file: the parser, the typed settings and their validation, and
/// the MQTT options derived from them. An operator's typo must be a `ConfigError`, never a trap.
func fuzzConfigFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // `AgentConfig.load` reads the file as UTF-8 text and refuses anything else.
    guard let text = String(validating: bytes(data, size), as: UTF8.self),
          let config = try? AgentConfig.parse(text, path: "fuzz.conf") else { return 0 }
    // The password file is read from disk: not a parser, and not worth a file per input.
    if config.mqtt.passwordFile.isEmpty { _ = try? config.mqttOptions() }
    return 0
}
