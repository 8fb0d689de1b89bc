/// The scanner behind `ConfigFile.parse`: one pass over the UTF-8 bytes, counting lines.
struct ConfigParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var sections = [ConfigFile.Section(name: "", line: 0, entries: [])]
    /// The dotted key being parsed, for error messages.
    private var currentKey: String?

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseFile() throws(ConfigError) -> [ConfigFile.Section] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
        while index < bytes.count {
            currentKey = nil
            skipSpaces()
            guard let byte = peek() else { break }
            if atLineEnd {
                try endOfLine()
            } else if byte == Byte.hash {
                skipComment()
            } else if byte == Byte.openBracket {
                try parseHeader()
            } else {
                try parseKeyValue()
            }
        }
        return sections
    }

    // MARK: Lines

    private mutating func parseHeader() throws(ConfigError) {
        let headerLine = line
        index += 1
        if peek() == Byte.openBracket {
            throw failure(.invalidSectionHeader, "arrays of tables ([[...]]) are not supported")
        }
        var parts: [String] = []
        repeat {
            if !parts.isEmpty { index += 1 }  // the dot
            skipSpaces()
            let part = readBareKey()
            guard !part.isEmpty else {
                throw failure(.invalidSectionHeader, "a section name is bare words (A-Z a-z 0-9 _ -) joined by dots")
            }
            parts.append(part)
            skipSpaces()
        } while peek() == Byte.dot
        let name = parts.joined(separator: ".")
        currentKey = name
        guard peek() == Byte.closeBracket else { throw failure(.invalidSectionHeader, "expected ']' after the name") }
        index += 1
        try endOfLine()
        if sections.contains(where: { $0.name == name }) {
            throw ConfigError(.duplicateSection, line: headerLine, key: name, "section defined twice")
        }
        sections.append(ConfigFile.Section(name: name, line: headerLine, entries: []))
    }

    private mutating func parseKeyValue() throws(ConfigError) {
        let keyLine = line
        let key = readBareKey()
        guard !key.isEmpty else {
            throw failure(.invalidKey, "expected a bare key (A-Z a-z 0-9 _ -), a [section] header or a # comment")
        }
        let sectionName = sections[sections.count - 1].name
        currentKey = sectionName.isEmpty ? key : "\(sectionName).\(key)"
        if peek() == Byte.dot { throw failure(.invalidKey, "dotted keys are not supported; use a [section]") }
        skipSpaces()
        guard peek() == Byte.equals else { throw failure(.expectedEquals, "expected '=' after the key") }
        index += 1
        skipSpaces()
        if atLineEnd || peek() == Byte.hash { throw failure(.missingValue, "expected a value after '='") }
        let value = try parseValue(allowArray: true)
        try endOfLine()
        if sections[sections.count - 1][key] != nil {
            throw ConfigError(.duplicateKey, line: keyLine, key: currentKey, "key given twice in the same section")
        }
        sections[sections.count - 1].entries.append(ConfigFile.Entry(key: key, value: value, line: keyLine))
    }

    /// Spaces, an optional comment, then a newline or the end of the text.
    private mutating func endOfLine() throws(ConfigError) {
        skipSpaces()
        if peek() == Byte.hash { skipComment() }
        guard let byte = peek() else { return }
        if byte == Byte.carriageReturn && peek(1) == Byte.newline { index += 1 }
        guard peek() == Byte.newline else {
            throw failure(.trailingCharacters, "unexpected characters after the value (comments start with #)")
        }
        index += 1
        line += 1
    }

    // MARK: Values

    private mutating func parseValue(allowArray: Bool) throws(ConfigError) -> ConfigFile.Value {
        guard let byte = peek() else { throw failure(.missingValue, "expected a value") }
        switch byte {
        case Byte.quote:
            return .string(try parseString())
        case Byte.apostrophe:
            throw failure(.invalidValue, "literal strings ('...') are not supported; use double quotes")
        case Byte.openBracket:
            guard allowArray else { throw failure(.invalidValue, "nested arrays are not supported") }
            return try parseArray()
        case Byte.openBrace:
            throw failure(.invalidValue, "inline tables are not supported; use a [section]")
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let word = readWhile(Self.isTokenByte)
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            throw failure(.invalidValue, "expected true, false, a number, a quoted string or an array")
        case UInt8(ascii: "0")...UInt8(ascii: "9"), Byte.plus, Byte.minus:
            return try parseNumber()
        default:
            throw failure(.invalidValue, "expected a quoted string, a number, true/false or an array")
        }
    }

    private mutating func parseString() throws(ConfigError) -> String {
        index += 1
        if peek() == Byte.quote && peek(1) == Byte.quote {
            throw failure(.invalidValue, "multi-line strings are not supported")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != Byte.newline, byte != Byte.carriageReturn else {
                throw failure(.unterminatedString, "string has no closing quote on this line")
            }
            index += 1
            switch byte {
            case Byte.quote:
                return String(decoding: out, as: UTF8.self)
            case Byte.backslash:
                switch peek() {
                case Byte.quote: out.append(Byte.quote)
                case Byte.backslash: out.append(Byte.backslash)
                case UInt8(ascii: "n"): out.append(Byte.newline)
                case UInt8(ascii: "t"): out.append(Byte.tab)
                case nil, Byte.newline?, Byte.carriageReturn?:
                    throw failure(.unterminatedString, "string has no closing quote on this line")
                default:
                    throw failure(.invalidEscape, "unknown escape; use \\\" \\\\ \\n or \\t")
                }
                index += 1
            case 0..<0x20 where byte != Byte.tab, 0x7F:
                throw failure(.invalidValue, "control characters in strings must be escaped")
            default:
                out.append(byte)
            }
        }
    }

    private mutating func parseArray() throws(ConfigError) -> ConfigFile.Value {
        let openLine = line
        index += 1
        var elements: [ConfigFile.Value] = []
        func unterminated() -> ConfigError {
            ConfigError(.unterminatedArray, line: openLine, key: currentKey, "array opened here has no closing ']'")
        }
        while true {
            let crossed = skipBlankSpace()
            guard let byte = peek() else { throw unterminated() }
            if byte == Byte.closeBracket { index += 1; break }
            if crossed && !Self.startsValue(byte) { throw unterminated() }
            let element = try parseValue(allowArray: false)
            if let first = elements.first, Self.kind(of: first) != Self.kind(of: element) {
                throw failure(.invalidValue, "array elements must all be strings, all numbers or all booleans")
            }
            elements.append(element)
            let crossedAfter = skipBlankSpace()
            switch peek() {
            case nil: throw unterminated()
            case Byte.comma?: index += 1
            case Byte.closeBracket?: index += 1; return .array(elements)
            default:
                if crossedAfter { throw unterminated() }
                throw failure(.invalidValue, "expected ',' or ']' after an array element")
            }
        }
        return .array(elements)
    }

    private mutating func parseNumber() throws(ConfigError) -> ConfigFile.Value {
        let token = Array(readWhile(Self.isTokenByte).utf8)
        var body = token[...]
        if let sign = body.first, sign == Byte.plus || sign == Byte.minus { body = body.dropFirst() }
        // Underscores only between digits, as in TOML.
        for (i, byte) in body.enumerated() where byte == Byte.underscore {
            let before = i > 0 ? body[body.startIndex + i - 1] : 0
            let after = i + 1 < body.count ? body[body.startIndex + i + 1] : 0
            guard Self.isDigit(before) && Self.isDigit(after) else {
                throw failure(.invalidValue, "underscores in numbers must sit between digits")
            }
        }
        let text = String(decoding: token.filter { $0 != Byte.underscore }, as: UTF8.self)
        let digits = Array(body.filter { $0 != Byte.underscore })
        if digits.allSatisfy(Self.isDigit) && !digits.isEmpty {
            guard digits.count == 1 || digits[0] != UInt8(ascii: "0") else {
                throw failure(.invalidValue, "leading zeros are not allowed")
            }
            guard let value = Int(text) else { throw failure(.invalidValue, "integer out of range") }
            return .integer(value)
        }
        guard Self.isDecimalFloat(digits), let value = Double(text), value.isFinite else {
            throw failure(.invalidValue, "not a decimal number (write 0.5, 1e-3, 42)")
        }
        return .float(value)
    }

    // MARK: Scanning

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private var atLineEnd: Bool {
        guard let byte = peek() else { return true }
        return byte == Byte.newline || (byte == Byte.carriageReturn && peek(1) == Byte.newline)
    }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == Byte.space || byte == Byte.tab { index += 1 }
    }

    private mutating func skipComment() {
        while let byte = peek(), byte != Byte.newline { index += 1 }
    }

    /// Spaces, comments and newlines inside an array; returns whether a newline was crossed.
    private mutating func skipBlankSpace() -> Bool {
        var crossed = false
        while true {
            skipSpaces()
            if peek() == Byte.hash { skipComment() }
            if peek() == Byte.carriageReturn && peek(1) == Byte.newline { index += 1 }
            guard peek() == Byte.newline else { return crossed }
            index += 1
            line += 1
            crossed = true
        }
    }

    private mutating func readBareKey() -> String { readWhile(Self.isBareKeyByte) }

    private mutating func readWhile(_ predicate: (UInt8) -> Bool) -> String {
        let start = index
        while let byte = peek(), predicate(byte) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func failure(_ code: ConfigError.Code, _ reason: String) -> ConfigError {
        ConfigError(code, line: line, key: currentKey, reason)
    }

    // MARK: Byte classes

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == Byte.underscore || byte == Byte.minus
    }

    /// Characters that may belong to a number or a boolean; the token is validated afterwards.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == Byte.plus || byte == Byte.dot
    }

    private static func startsValue(_ byte: UInt8) -> Bool {
        isDigit(byte) || [Byte.quote, Byte.apostrophe, Byte.plus, Byte.minus, Byte.openBracket, Byte.openBrace,
                          UInt8(ascii: "t"), UInt8(ascii: "f")].contains(byte)
    }

    /// `digits [. digits] [(e|E) [+|-] digits]` with at least a fraction or an exponent.
    private static func isDecimalFloat(_ body: [UInt8]) -> Bool {
        var i = 0
        func digitRun() -> Bool {
            let start = i
            while i < body.count && isDigit(body[i]) { i += 1 }
            return i > start
        }
        guard digitRun() else { return false }
        if i > 1 && body[0] == UInt8(ascii: "0") { return false }
        var hasFraction = false
        if i < body.count && body[i] == Byte.dot {
            i += 1
            guard digitRun() else { return false }
            hasFraction = true
        }
        var hasExponent = false
        if i < body.count && (body[i] == UInt8(ascii: "e") || body[i] == UInt8(ascii: "E")) {
            i += 1
            if i < body.count && (body[i] == Byte.plus || body[i] == Byte.minus) { i += 1 }
            guard digitRun() else { return false }
            hasExponent = true
        }
        return i == body.count && (hasFraction || hasExponent)
    }

    private enum Kind { case string, number, boolean, array }

    private static func kind(of value: ConfigFile.Value) -> Kind {
        switch value {
        case .string: .string
        case .integer, .float: .number
        case .boolean: .boolean
        case .array: .array
        }
    }
}

/// The ASCII bytes the parser looks at.
private enum Byte {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let tab = UInt8(ascii: "\t")
    static let space = UInt8(ascii: " ")
    static let hash = UInt8(ascii: "#")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\")
    static let equals = UInt8(ascii: "=")
    static let comma = UInt8(ascii: ",")
    static let dot = UInt8(ascii: ".")
    static let plus = UInt8(ascii: "+")
    static let minus = UInt8(ascii: "-")
    static let underscore = UInt8(ascii: "_")
}
