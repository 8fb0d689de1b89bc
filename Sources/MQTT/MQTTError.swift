/// An error from the MQTT layer: the libmosquitto result code, the operation that failed,
/// and the call site. Never carries message payloads.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    /// libmosquitto `mosq_err_t` value, or a CONNACK reason code for `connectRefused`.
    public var code: Int32
    public var operation: String
    public var reason: String
    public var sourceLocation: String

    public init(code: Int32, operation: String, reason: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.operation = operation
        self.reason = reason
        self.sourceLocation = "\(fileID):\(line)"
    }

    public var description: String { "MQTT \(operation) failed (\(code)): \(reason)" }
}
