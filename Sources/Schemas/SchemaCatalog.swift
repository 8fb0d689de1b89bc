import FoundationEssentials
import Telemetry

/// All firmware schemas known to the gateway, loaded from a directory of `*.json` files.
/// Adding support for a firmware version means adding a file, not code.
public struct SchemaCatalog: Sendable {
    public private(set) var schemas: [FirmwareSchema]

    public init(schemas: [FirmwareSchema]) throws(SchemaError) {
        self.schemas = []
        for schema in schemas { try add(schema) }
    }

    /// Loads every `*.json` file in `directory` (sorted by name). Fails on the first bad file,
    /// on duplicate ids, and on overlapping firmware ranges for one model.
    public static func load(directory: String) throws(SchemaError) -> SchemaCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw SchemaError(file: directory, "cannot list directory (\(error))")
        }
        var catalog = try SchemaCatalog(schemas: [])
        for name in names {
            let path = FilePaths.join(directory, name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SchemaError(file: name, "cannot read file")
            }
            let json: JSONValue
            do { json = try JSONParser(maxBytes: 1 << 20, maxDepth: 12).parse(data) } catch {
                throw SchemaError(file: name, "not valid JSON: \(error)")
            }
            try catalog.add(try FirmwareSchema(json: json, file: name))
        }
        return catalog
    }

    public mutating func add(_ schema: FirmwareSchema) throws(SchemaError) {
        if schemas.contains(where: { $0.id == schema.id }) {
            throw SchemaError(file: schema.id, "duplicate schema id")
        }
        if let clash = schemas.first(where: {
            $0.model == schema.model && $0.firmwareMin < schema.firmwareBelow && schema.firmwareMin < $0.firmwareBelow
        }) {
            throw SchemaError(file: schema.id, "firmware range overlaps schema \(clash.id)")
        }
        schemas.append(schema)
    }

    /// The schema covering `model` at `firmware`, if any.
    public func schema(model: String, firmware: String) -> FirmwareSchema? {
        guard let version = FirmwareVersion(firmware) else { return nil }
        return schemas.first { $0.covers(model: model, firmware: version) }
    }

    public func schema(id: String) -> FirmwareSchema? {
        schemas.first { $0.id == id }
    }
}
