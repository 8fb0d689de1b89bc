/// A firmware schema file that cannot be loaded. Names the file and the offending key.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var detail: String
    public var sourceLocation: String

    public init(file: String, _ detail: String, fileID: String = #fileID, line: Int = #line) {
        self.file = file
        self.detail = detail
        self.sourceLocation = "\(fileID):\(line)"
    }

    public var description: String { "firmware schema \(file): \(detail)" }
}
