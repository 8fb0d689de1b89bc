internal import CMosquitto

/// One-time libmosquitto initialisation (not thread-safe in C; done once under Swift's
/// lazy-global guarantee), and the library's version.
public enum MQTTLibrary {
    /// libmosquitto's version at run time (`mosquitto_lib_version`), e.g. `2.0.11`.
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    private static let initialized: Bool = {
        mosquitto_lib_init()
        return true
    }()

    static func ensureInitialized() { _ = initialized }

    /// libmosquitto's own text for a result code.
    static func describe(_ code: Int32) -> String {
        guard let text = mosquitto_strerror(code) else { return "unknown error" }
        return String(cString: text)
    }

    /// Throws an `MQTTError` for any result other than `MOSQ_ERR_SUCCESS`.
    static func check(_ code: Int32, _ operation: String, fileID: String = #fileID, line: Int = #line)
        throws(MQTTError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        throw MQTTError(code: code, operation: operation, reason: describe(code), fileID: fileID, line: line)
    }
}
