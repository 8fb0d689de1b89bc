@testable import Delivery
import Testing
import Vault

/// The small protocol pieces the FHIR sink builds by hand: search tokens for `ifNoneExist`,
/// form bodies, `Retry-After`, and reading a transaction-response.
@Suite struct FHIRRequestPartsTests {
    @Test func searchTokensEscapeFHIRsSeparatorsAndPercentEncodeTheRest() {
        #expect(FHIRTransaction.searchToken("urn:vitalgate:gw-1:observation", "OXP-1.42.1733.spo2")
            == "urn:vitalgate:gw-1:observation|OXP-1.42.1733.spo2")
        #expect(FHIRTransaction.searchToken("http://x.org/a b", "v|1,2$\\") == "http://x.org/a%20b|v%5C%7C1%5C%2C2%5C%24%5C%5C")
        #expect(FHIRTransaction.searchToken("s", "é&=") == "s|%C3%A9%26%3D")
    }

    @Test func formBodiesFollowRFC6749() {
        #expect(FHIRAuthorizer.formEncoded("client id:1/ü") == "client+id%3A1%2F%C3%BC")
        #expect(FHIRAuthorizer.formEncoded("a-b._*") == "a-b._*")
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        let now = RetryAfter.httpDateMs("Sun, 06 Nov 1994 08:49:37 GMT")!
        #expect(now == 784_111_777_000)
        #expect(RetryAfter.milliseconds("7", nowMs: now) == 7_000)
        #expect(RetryAfter.milliseconds("0", nowMs: now) == 0)
        #expect(RetryAfter.milliseconds("999999", nowMs: now) == 3_600_000)
        #expect(RetryAfter.milliseconds("Sun, 06 Nov 1994 08:50:07 GMT", nowMs: now) == 30_000)
        #expect(RetryAfter.milliseconds("Sun, 06 Nov 1994 08:40:00 GMT", nowMs: now) == 0)
        #expect(RetryAfter.milliseconds("Thu, 29 Feb 2024 23:59:59 GMT", nowMs: 1_709_251_199_000 - 5000) == 5000)
        for unreadable in [nil, "", "-3", "soon", "06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 25:00:00 GMT"] {
            #expect(RetryAfter.milliseconds(unreadable, nowMs: now) == nil, "\(unreadable ?? "nil")")
        }
    }

    @Test func aTransactionResponseMustAnswerEveryEntryWithSuccess() {
        let mapping = FHIRMapping(gatewayID: "gw")
        let transaction = FHIRTransaction([OutboxEntry](), mapping: mapping)
        #expect(transaction.entryCount == 0)
        #expect(transaction.problem(withResponse: Array(#"{"resourceType":"Bundle","type":"transaction-response","entry":[]}"#.utf8)) == nil)
        #expect(transaction.problem(withResponse: Array("<html>".utf8)) != nil)
        #expect(transaction.problem(withResponse: Array(#"{"resourceType":"Bundle","type":"searchset"}"#.utf8)) != nil)
        #expect(transaction.problem(withResponse: Array(
            #"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}}]}"#.utf8)) != nil)
    }

    @Test func anOperationOutcomeGivesItsFirstErrorIssue() {
        let body = #"{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"informational"},"#
            + #"{"severity":"error","code":"invalid","diagnostics":"bad unit","expression":["Bundle.entry[2]"]}]}"#
        #expect(OperationOutcomeReason(Array(body.utf8))?.text == "invalid: bad unit (at Bundle.entry[2])")
        #expect(OperationOutcomeReason(Array(#"{"resourceType":"Patient"}"#.utf8)) == nil)
        #expect(OperationOutcomeReason(Array("not json".utf8)) == nil)
    }

    @Test func sampledDataWritesEverySampleInDecimal() {
        let samples: [Int16] = [0, 7, -7, 10, -10, 32767, -32768, 1200]
        #expect(FHIRMapping.sampledData(samples) == samples.map { String($0) }.joined(separator: " "))
        #expect(FHIRMapping.sampledData([]) == "")
    }
}
