public import ErrorSupport

/// The codes of ``ConfigError``.
extension ErrorCode<ConfigError> {
    /// The file could not be read (or is not UTF-8), for a reason other than the two below.
    public static var unreadableFile: Self { Self("unreadable-file") }
    /// The file does not exist.
    public static var missingFile: Self { Self("missing-file") }
    /// This user may not read the file, or create the directory.
    public static var permissionDenied: Self { Self("permission-denied") }
    /// A directory (the data directory) cannot be created, for a reason other than permissions.
    public static var cannotCreate: Self { Self("cannot-create") }
    /// A `[section]` header that is malformed (or `[[array of tables]]`).
    public static var invalidSectionHeader: Self { Self("invalid-section-header") }
    /// A key that is not a bare key (`A-Z a-z 0-9 _ -`).
    public static var invalidKey: Self { Self("invalid-key") }
    /// A key not followed by `=`.
    public static var expectedEquals: Self { Self("expected-equals") }
    /// Nothing after `=`.
    public static var missingValue: Self { Self("missing-value") }
    /// A value that is no string, number, boolean or array of them.
    public static var invalidValue: Self { Self("invalid-value") }
    /// A string without its closing quote on the same line.
    public static var unterminatedString: Self { Self("unterminated-string") }
    /// A backslash escape other than `\"`, `\\`, `\n`, `\t`.
    public static var invalidEscape: Self { Self("invalid-escape") }
    /// An array without its closing bracket.
    public static var unterminatedArray: Self { Self("unterminated-array") }
    /// Something after a complete value or header other than a comment.
    public static var trailingCharacters: Self { Self("trailing-characters") }
    /// A key given twice in one section.
    public static var duplicateKey: Self { Self("duplicate-key") }
    /// A section header given twice.
    public static var duplicateSection: Self { Self("duplicate-section") }
    /// A section this program does not know (a typo, usually).
    public static var unknownSection: Self { Self("unknown-section") }
    /// A key this program does not know in a known section.
    public static var unknownKey: Self { Self("unknown-key") }
    /// A value of the wrong type (a string where a number belongs, ...).
    public static var wrongType: Self { Self("wrong-type") }
    /// A well-typed value outside its allowed range or set, or inconsistent settings.
    public static var invalidSetting: Self { Self("invalid-setting") }
}
