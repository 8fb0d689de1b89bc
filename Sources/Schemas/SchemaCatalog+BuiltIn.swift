extension SchemaCatalog {
    /// The names and exact text of the schema files built into the binary: `Firmware-Schemas/`
    /// as `scripts/embed-schemas.sh` last copied it.
    public static var builtInFiles: [(name: String, text: String)] { builtInSchemaFiles }

    /// The firmware schemas built into the binary (`Firmware-Schemas/` when it was built).
    public static func builtIn() throws(SchemaError) -> SchemaCatalog {
        try builtIn(extendedBy: nil)
    }

    /// The built-in schemas, extended and overridden by the `*.json` files of `directory` (none
    /// when `nil`): a file whose schema has a built-in schema's id replaces that schema; any other
    /// file adds one, and must not overlap the firmware range of another schema of its model.
    public static func builtIn(extendedBy directory: String?) throws(SchemaError) -> SchemaCatalog {
        let local = try directory.map { directory throws(SchemaError) in try files(in: directory) } ?? []
        let replaced = Set(local.map(\.schema.id))
        var catalog = try SchemaCatalog(schemas: [])
        for file in builtInSchemaFiles {
            let label = "\(file.name) (built in)"
            let schema = try parse(file.text.utf8, file: label)
            if !replaced.contains(schema.id) { try catalog.add(schema, file: label) }
        }
        for file in local {
            try catalog.add(file.schema, file: file.path)
        }
        return catalog
    }
}
