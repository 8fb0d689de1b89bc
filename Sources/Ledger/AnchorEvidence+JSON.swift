internal import Cryptography
public import Telemetry

extension AnchorEvidence {
    /// The evidence as a proof bundle's `anchors` entry:
    /// `{"type", "tree_size", "root" (hex), "locator", "body" (object)}`.
    public var json: JSONValue {
        let body = (try? JSONParser(maxBytes: Self.maximumBodyBytes, maxDepth: 16).parse(self.body)) ?? .null
        return .object([
            ("type", .string(type)), ("tree_size", .number(Double(treeSize))), ("root", .string(rootHash.hexString)),
            ("locator", .string(locator)), ("body", body),
        ])
    }

    /// The largest evidence body accepted: 1 MiB.
    public static let maximumBodyBytes = 1 << 20

    /// Parses an `anchors` entry strictly.
    /// - Throws: ``LedgerError`` `.invalidEvidence` at step `parse`.
    public init(json: JSONValue) throws(LedgerError) {
        func fail(_ reason: String) -> LedgerError { LedgerError(code: .invalidEvidence, reason: reason, step: "parse") }
        guard let members = json.objectValue,
              Set(members.map(\.key)) == ["type", "tree_size", "root", "locator", "body"], members.count == 5 else {
            throw fail("an anchor must have exactly type, tree_size, root, locator and body")
        }
        guard let type = json["type"]?.stringValue, !type.isEmpty else { throw fail("type must be a non-empty string") }
        guard let size = json["tree_size"]?.numberValue, let treeSize = UInt64(exactly: size) else {
            throw fail("tree_size must be an integer")
        }
        guard let rootText = json["root"]?.stringValue, let root = [UInt8](hex: rootText), root.count == 32 else {
            throw fail("root must be 64 hex digits")
        }
        guard let locator = json["locator"]?.stringValue else { throw fail("locator must be a string") }
        guard let body = json["body"], body.objectValue != nil else { throw fail("body must be an object") }
        self.init(type: type, treeSize: treeSize, rootHash: root, locator: locator, body: JSONWriter.canonicalBytes(body))
    }
}

