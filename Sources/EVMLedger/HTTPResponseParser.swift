/// An incremental HTTP/1.1 response parser: feed it bytes as they arrive, in pieces of any size.
///
/// Handles a status line, header fields, `Content-Length` bodies, `chunked` transfer encoding
/// (extensions and trailers ignored), bodies delimited by the end of the connection, and skips
/// `1xx` interim responses. Bounded: header section at most ``maximumHeaderBytes``, body at most
/// `maximumBodyBytes`.
struct HTTPResponseParser {
    /// Why a response is not acceptable.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    static let maximumHeaderBytes = 64 * 1024

    private enum State {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    let maximumBodyBytes: Int
    /// Whether the request was HEAD (no body follows whatever the headers say).
    let isHeadRequest: Bool
    private var state = State.head
    private var buffer: [UInt8] = []
    private var position = 0
    /// Where the next search for a line end resumes: bytes before it were searched already (a
    /// node that sends its header a byte at a time must not cost a rescan per byte).
    private var searchFrom = 0
    /// Bytes of trailer lines read so far (bounded like the header section).
    private var trailerBytes = 0
    private var status = 0
    private var headers: [HTTPResponse.HeaderField] = []
    private var body: [UInt8] = []
    private var isHTTP10 = false

    init(maximumBodyBytes: Int, isHeadRequest: Bool = false) {
        self.maximumBodyBytes = maximumBodyBytes
        self.isHeadRequest = isHeadRequest
    }

    /// True once the whole response has been read.
    var isComplete: Bool {
        if case .done = state { true } else { false }
    }

    /// True when nothing of the response has arrived yet.
    var hasReceivedNothing: Bool {
        if case .head = state { buffer.isEmpty && status == 0 } else { false }
    }

    /// The parsed response, once ``isComplete``.
    var response: HTTPResponse { HTTPResponse(status: status, headers: headers, body: body) }

    /// Whether the connection may carry another request after this response.
    var keepsConnectionOpen: Bool {
        let connection = headers.first { $0.name == "connection" }?.value.lowercased() ?? ""
        let tokens = connection.split(separator: ",").map { $0.trimmingSpaces }
        if tokens.contains("close") { return false }
        if case .untilClose = state { return false }
        return isHTTP10 ? tokens.contains("keep-alive") : true
    }

    /// Bytes received after the end of the response (a server must not send any).
    var leftoverByteCount: Int { buffer.count - position }

    /// Consumes `bytes`; returns true when the response is complete.
    mutating func feed(_ bytes: some Collection<UInt8>) throws(Failure) -> Bool {
        buffer.append(contentsOf: bytes)
        try advance()
        if position > 4096 && position * 2 > buffer.count {
            buffer.removeFirst(position)
            searchFrom = max(0, searchFrom - position)
            position = 0
        }
        return isComplete
    }

    /// The connection ended; returns true when that completes the response (a body delimited by
    /// the end of the connection), throws when the response is truncated.
    mutating func finish() throws(Failure) -> Bool {
        switch state {
        case .untilClose:
            state = .done
            return true
        case .done:
            return true
        default:
            throw Failure(reason: "the node closed the connection in the middle of a response")
        }
    }

    private mutating func advance() throws(Failure) {
        while true {
            switch state {
            case .head:
                guard let end = find([13, 10, 13, 10]) else {
                    if buffer.count - position > Self.maximumHeaderBytes {
                        throw Failure(reason: "response header section exceeds \(Self.maximumHeaderBytes) bytes")
                    }
                    return
                }
                let head = Array(buffer[position..<end])
                position = end + 4
                try parseHead(head)
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.count - position)
                body.append(contentsOf: buffer[position..<position + take])
                position += take
                if remaining - take == 0 { state = .done } else { state = .fixedBody(remaining: remaining - take); return }
            case .chunkSize:
                guard let end = find([13, 10]) else {
                    if buffer.count - position > 1024 { throw Failure(reason: "chunk size line too long") }
                    return
                }
                let line = buffer[position..<end]
                position = end + 2
                let sizeDigits = line.prefix { $0 != UInt8(ascii: ";") }[...]
                guard let size = Self.parseHex(sizeDigits.trimmingSpaces) else {
                    throw Failure(reason: "malformed chunk size")
                }
                if size == 0 {
                    state = .trailers
                } else {
                    guard size <= maximumBodyBytes - body.count else {
                        throw Failure(reason: "response body exceeds \(maximumBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - position)
                body.append(contentsOf: buffer[position..<position + take])
                position += take
                if remaining - take == 0 { state = .chunkDataEnd } else { state = .chunkData(remaining: remaining - take); return }
            case .chunkDataEnd:
                guard buffer.count - position >= 2 else { return }
                guard buffer[position] == 13, buffer[position + 1] == 10 else {
                    throw Failure(reason: "chunk data not followed by CRLF")
                }
                position += 2
                state = .chunkSize
            case .trailers:
                guard let end = find([13, 10]) else {
                    if buffer.count - position > Self.maximumHeaderBytes { throw Failure(reason: "trailers too long") }
                    return
                }
                let isEmptyLine = end == position
                trailerBytes += end + 2 - position
                guard trailerBytes <= Self.maximumHeaderBytes else { throw Failure(reason: "trailers too long") }
                position = end + 2
                if isEmptyLine { state = .done }
            case .untilClose:
                let available = buffer.count - position
                guard available <= maximumBodyBytes - body.count else {
                    throw Failure(reason: "response body exceeds \(maximumBodyBytes) bytes")
                }
                body.append(contentsOf: buffer[position...])
                position = buffer.count
                return
            case .done:
                return
            }
        }
    }

    private mutating func parseHead(_ head: [UInt8]) throws(Failure) {
        guard let text = String(validating: head, as: UTF8.self) else {
            throw Failure(reason: "response head is not UTF-8")
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { throw Failure(reason: "empty response") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              parts[1].count == 3, let code = Int(parts[1]), (100...599).contains(code) else {
            throw Failure(reason: "malformed status line")
        }
        var fields: [HTTPResponse.HeaderField] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line.first!.isWhitespace else {
                throw Failure(reason: "malformed header field")
            }
            let name = line[..<colon].lowercased()
            guard name.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { throw Failure(reason: "malformed header name") }
            fields.append(.init(name: name, value: String(line[line.index(after: colon)...].trimmingSpaces)))
        }
        if (100...199).contains(code) {
            // An interim response (e.g. 100 Continue): the real one follows.
            return
        }
        status = code
        headers = fields
        isHTTP10 = parts[0] == "HTTP/1.0"
        let encodings = fields.filter { $0.name == "transfer-encoding" }
            .flatMap { $0.value.lowercased().split(separator: ",").map { String($0.trimmingSpaces) } }
        let lengths = Set(fields.filter { $0.name == "content-length" }.map(\.value))
        if isHeadRequest || code == 204 || code == 304 {
            state = .done
        } else if !encodings.isEmpty {
            guard encodings.last == "chunked" else { throw Failure(reason: "unsupported transfer encoding") }
            guard lengths.isEmpty else { throw Failure(reason: "both Content-Length and Transfer-Encoding") }
            state = .chunkSize
        } else if let lengthText = lengths.first {
            guard lengths.count == 1, lengthText.allSatisfy(\.isASCIIDigit), let length = Int(lengthText) else {
                throw Failure(reason: "malformed Content-Length")
            }
            guard length <= maximumBodyBytes else {
                throw Failure(reason: "response body of \(length) bytes exceeds \(maximumBodyBytes)")
            }
            body.reserveCapacity(length)
            state = length == 0 ? .done : .fixedBody(remaining: length)
        } else {
            state = .untilClose
        }
    }

    /// The index of `pattern` at or after `position`; linear over all calls, as each search
    /// resumes where the last unsuccessful one stopped.
    private mutating func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count - position >= pattern.count else { return nil }
        var index = max(position, searchFrom)
        let last = buffer.count - pattern.count
        while index <= last {
            if buffer[index] == pattern[0] {
                var matched = true
                for offset in 1..<pattern.count where buffer[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        // Nothing before `last + 1` can start a match, whatever arrives next.
        searchFrom = last + 1
        return nil
    }

    private static func parseHex(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        var value = 0
        for digit in digits {
            let nibble: Int
            switch digit {
            case 0x30...0x39: nibble = Int(digit - 0x30)
            case 0x61...0x66: nibble = Int(digit - 0x61 + 10)
            case 0x41...0x46: nibble = Int(digit - 0x41 + 10)
            default: return nil
            }
            value = value << 4 | nibble
        }
        return value
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension ArraySlice where Element == UInt8 {
    fileprivate var trimmingSpaces: ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: SubSequence {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }) else { return self[endIndex...] }
        let last = lastIndex(where: { $0 != " " && $0 != "\t" })!
        return self[first...last]
    }
}
