import FoundationEssentials
import Telemetry

/// All firmware schemas known to the gateway: the ones built into the binary
/// (``builtIn(extendedBy:)``), extended or overridden by a directory of `*.json` files.
/// Adding support for a firmware version means adding a file, not code.
public struct SchemaCatalog: Sendable {
    public private(set) var schemas: [FirmwareSchema]

    public init(schemas: [FirmwareSchema]) throws(SchemaError) {
        self.schemas = []
        for schema in schemas { try add(schema) }
    }

    /// Loads every `*.json` file in `directory` (sorted by name). Fails on the first bad file,
    /// on duplicate ids, and on overlapping firmware ranges for one model. Errors name the file
    /// by its path in `directory`.
    public static func load(directory: String) throws(SchemaError) -> SchemaCatalog {
        var catalog = try SchemaCatalog(schemas: [])
        for file in try files(in: directory) {
            try catalog.add(file.schema, file: file.path)
        }
        return catalog
    }

    /// The schemas of the `*.json` files in `directory`, sorted by name.
    static func files(in directory: String) throws(SchemaError) -> [(path: String, schema: FirmwareSchema)] {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw SchemaError(file: "directory \(directory)", "no such directory")
        }
        guard isDirectory else { throw SchemaError(file: "directory \(directory)", "not a directory") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            // The Foundation error says no more than this, at length.
            throw SchemaError(file: "directory \(directory)", "cannot list it (check its permissions)")
        }
        return try names.map { name throws(SchemaError) in
            let path = FilePaths.join(directory, name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SchemaError(file: path, "cannot read the file (check its permissions)")
            }
            return (path, try parse(data, file: path))
        }
    }

    /// Parses one schema file's bytes; `file` names it in errors.
    static func parse(_ bytes: some Collection<UInt8>, file: String) throws(SchemaError) -> FirmwareSchema {
        let json: JSONValue
        do { json = try JSONParser(maxBytes: 1 << 20, maxDepth: 12).parse(bytes) } catch {
            throw SchemaError(file: file, "not valid JSON: \(error)")
        }
        return try FirmwareSchema(json: json, file: file)
    }

    /// Adds `schema`, refusing a second schema with its id or one whose firmware range overlaps
    /// another schema's for the same model; errors name `file` (by default the schema's id).
    public mutating func add(_ schema: FirmwareSchema, file: String? = nil) throws(SchemaError) {
        if schemas.contains(where: { $0.id == schema.id }) {
            throw SchemaError(file: file ?? schema.id, "duplicate schema id \(schema.id)")
        }
        if let clash = schemas.first(where: {
            $0.model == schema.model && $0.firmwareMin < schema.firmwareBelow && schema.firmwareMin < $0.firmwareBelow
        }) {
            throw SchemaError(file: file ?? schema.id, "firmware range overlaps schema \(clash.id)")
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
