/// A configuration file in a small subset of TOML, parsed into sections of typed entries.
///
/// Supported: `[section]` and `[section.sub]` headers; `key = value` lines with bare keys
/// (`A-Z a-z 0-9 _ -`); values that are basic strings (`"..."` with the escapes `\"`, `\\`,
/// `\n`, `\t`), integers (`42`, `-7`, `1_000`), floats (`0.5`, `1e-3`), booleans, and arrays of
/// strings or numbers (which may span lines, with a trailing comma); `#` comments and blank
/// lines. Duplicate keys and duplicate headers are errors. Everything else TOML has (literal
/// and multi-line strings, dotted or quoted keys, inline tables, dates) is rejected.
///
/// Keys before the first header belong to the root section, whose name is `""`.
public struct ConfigFile: Sendable, Equatable {
    /// A parsed value.
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        /// Elements of one kind (strings, or numbers); never nested.
        case array([Value])

        /// The TOML name of the value's type, for error messages.
        public var typeName: String {
            switch self {
            case .string: "string"
            case .integer: "integer"
            case .float: "float"
            case .boolean: "boolean"
            case .array: "array"
            }
        }
    }

    /// One `key = value` line.
    public struct Entry: Sendable, Equatable {
        /// The bare key, without its section.
        public var key: String
        /// The parsed value.
        public var value: Value
        /// The 1-based line of the key.
        public var line: Int
    }

    /// A `[name]` header and the entries below it.
    public struct Section: Sendable, Equatable {
        /// The dotted name (`mqtt.tls`), `""` for the root section.
        public var name: String
        /// The 1-based line of the header, 0 for the root section.
        public var line: Int
        /// The `key = value` lines in file order.
        public var entries: [Entry]

        /// The entry for `key`, if present.
        public subscript(key: String) -> Entry? { entries.first { $0.key == key } }
    }

    /// The sections in file order, starting with the root section (which may be empty).
    public private(set) var sections: [Section]

    /// Parses `text`; errors carry the 1-based line number and, where one was read, the key.
    public static func parse(_ text: String) throws(ConfigError) -> ConfigFile {
        var parser = ConfigParser(Array(text.utf8))
        return ConfigFile(sections: try parser.parseFile())
    }

    /// The section called `name`, if present.
    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }

    /// The entry for `key` in section `section`, if present.
    public func entry(_ section: String, _ key: String) -> Entry? { self.section(section)?[key] }
}
