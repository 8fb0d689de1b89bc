import ErrorSupport
import Testing

@Suite("Error scaffold: codes, records, call sites")
struct ErrorSupportTests {
    enum Widget: ErrorDomain {
        static let errorName = "WidgetError"
    }

    typealias WidgetError = ModuleError<Widget>

    struct OpenError: CodedError, OpenErrorCodes {
        let record: ErrorRecord<OpenError>
        var description: String { "\(code)" }
    }

    struct Cause: Error, CustomStringConvertible {
        var description: String { "cause" }
    }

    @Test func sourceLocationDefaultsToTheCallSite() {
        let here = SourceLocation(); let line = #line
        #expect(here.fileID == "ErrorSupportTests/ErrorSupportTests.swift" && here.line == line)
        #expect(SourceLocation(fileID: "M/F.swift", line: 3).description == "M/F.swift:3")
    }

    @Test func codesCompareAndPrintByName() {
        #expect(ErrorCode<Widget>("jammed") == ErrorCode<Widget>("jammed"))
        #expect(ErrorCode<Widget>("jammed") != ErrorCode<Widget>("loose"))
        #expect(Set([ErrorCode<Widget>("jammed"), ErrorCode<Widget>("jammed")]).count == 1)
        #expect(ErrorCode<Widget>("jammed").description == "jammed")
    }

    @Test func openCodesAreRawRepresentable() {
        let code = OpenError.Code(rawValue: "open-code")
        #expect(code.rawValue == "open-code" && code == ErrorCode<OpenError>("open-code"))
        let error = OpenError(record: ErrorRecord(code, "why", file: "M/F.swift", line: 2))
        #expect(error.code == code && error.reason == "why" && error.file == "M/F.swift" && error.line == 2)
        #expect(error.record.location == SourceLocation(fileID: "M/F.swift", line: 2))
    }

    @Test func moduleErrorRecordsAndDescribesItsParts() {
        let plain = WidgetError(code: ErrorCode("jammed"), reason: "gear 2", file: "M/W.swift", line: 5)
        #expect(plain.description == "WidgetError.jammed: gear 2 (at M/W.swift:5)")
        #expect(plain.underlying == nil && plain.code == ErrorCode("jammed") && plain.line == 5)
        let caused = WidgetError(code: ErrorCode("jammed"), reason: "gear 2", underlying: Cause())
        let line = #line - 1
        #expect(caused.description
            == "WidgetError.jammed: gear 2 [underlying: cause] (at ErrorSupportTests/ErrorSupportTests.swift:\(line))")
        #expect(caused.underlying is Cause)
    }
}
