internal import Cryptography
import Telemetry

/// A C2SP signed note (https://c2sp.org/signed-note): a text followed by a blank line and
/// one or more signature lines `— <key name> <base64(key ID ‖ signature)>`.
///
/// ```
/// This is an example message.
///
/// — example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=
/// ```
///
/// Parsing only checks syntax; a note's text must be ignored until
/// ``NoteVerifierSet/verify(_:)`` has found a valid signature from a trusted key.
public struct Note: Sendable, Equatable {
    /// The largest serialised note accepted: 1 MiB.
    public static let maximumByteCount = 1 << 20
    /// The most signature lines accepted: 100 (the spec requires accepting at least 16).
    public static let maximumSignatureCount = 100

    /// The signed text, including its final newline but not the blank separator line.
    public let text: String
    /// The signature lines, in order.
    public private(set) var signatures: [NoteSignature]

    /// Creates a note from a text and signatures.
    /// - Throws: ``NoteError`` `.malformedNote` if the text is empty, does not end in a
    ///   newline, or contains control characters other than newline.
    public init(text: String, signatures: [NoteSignature] = []) throws(NoteError) {
        try Note.checkText(Array(text.utf8))
        self.text = text
        self.signatures = signatures
    }

    /// Parses a serialised note. The last blank line separates the text from the signatures.
    ///
    /// - Throws: ``NoteError`` `.tooLarge` or `.malformedNote` (invalid UTF-8, a control
    ///   character, no final newline, no blank line, no signature, or a malformed signature
    ///   line), `.invalidKeyName`.
    public init(parsing bytes: [UInt8]) throws(NoteError) {
        guard bytes.count <= Note.maximumByteCount else {
            throw NoteError(code: .tooLarge, reason: "note is \(bytes.count) bytes, limit \(Note.maximumByteCount)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw NoteError(code: .malformedNote, reason: "note is not valid UTF-8")
        }
        try Note.checkNoControlCharacters(bytes)
        guard let separator = Note.lastBlankLine(in: bytes) else {
            throw NoteError(code: .malformedNote, reason: "note has no blank line before its signatures")
        }
        let textBytes = Array(bytes[...separator])
        let signatureBytes = bytes[(separator + 2)...]
        guard !signatureBytes.isEmpty else {
            throw NoteError(code: .malformedNote, reason: "note has no signature lines")
        }
        guard signatureBytes.last == UInt8(ascii: "\n") else {
            throw NoteError(code: .malformedNote, reason: "note does not end with a newline")
        }
        var signatures: [NoteSignature] = []
        for line in signatureBytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard signatures.count < Note.maximumSignatureCount else {
                throw NoteError(code: .tooLarge, reason: "note has more than \(Note.maximumSignatureCount) signatures")
            }
            signatures.append(try NoteSignature(parsingLine: Array(line), number: signatures.count + 1))
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    /// Parses a serialised note given as a string. See ``init(parsing:)-([UInt8])``.
    public init(parsing string: String) throws(NoteError) {
        try self.init(parsing: Array(string.utf8))
    }

    /// Adds a signature line at the end.
    public mutating func append(_ signature: NoteSignature) {
        signatures.append(signature)
    }

    /// The serialised note: text, blank line, one line per signature.
    /// - Precondition: at least one signature (a note without signatures is not a valid note).
    public var serialized: [UInt8] {
        precondition(!signatures.isEmpty, "a signed note needs at least one signature")
        var output = Array(text.utf8)
        output.append(UInt8(ascii: "\n"))
        for signature in signatures {
            output.append(contentsOf: signature.line.utf8)
        }
        return output
    }

    /// ``serialized`` as a string.
    public var serializedString: String {
        String(decoding: serialized, as: UTF8.self)
    }

    /// The index of the first newline of the last `"\n\n"` in `bytes`.
    private static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == UInt8(ascii: "\n") && bytes[index + 1] == UInt8(ascii: "\n") {
                return index
            }
            index -= 1
        }
        return nil
    }

    /// Checks the rules for a note text: ends with a newline (so is non-empty), no control
    /// characters other than newline (UTF-8 validity is guaranteed by the callers).
    static func checkText(_ text: [UInt8]) throws(NoteError) {
        guard text.last == UInt8(ascii: "\n") else {
            throw NoteError(code: .malformedNote, reason: "note text is empty or does not end with a newline")
        }
        try checkNoControlCharacters(text)
    }

    static func checkNoControlCharacters(_ bytes: some Sequence<UInt8>) throws(NoteError) {
        for byte in bytes where byte < 0x20 && byte != UInt8(ascii: "\n") {
            throw NoteError(code: .malformedNote, reason: "note contains the control character 0x\([byte].hexString)")
        }
    }
}
