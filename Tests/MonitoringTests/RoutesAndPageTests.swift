import Foundation
import HTTPServer
@testable import Ingest
@testable import Monitoring
import Telemetry
import Testing

/// Issue 22, items 4-5: the routes, their access policy, and the status page's content.
@Suite struct RoutesAndPageTests {
    private func get(_ path: String, authorization: String? = nil) -> HTTPServerRequest {
        HTTPServerRequest(method: "GET", path: path, headers: authorization.map { [("Authorization", $0)] } ?? [])
    }

    private func basic(_ user: String, _ password: String) -> String {
        "Basic " + Base64.encode(Array("\(user):\(password)".utf8))
    }

    @Test func routesAnswerWithTheirTypesAndUnknownPathsAre404() {
        let routes = MonitorRoutes(access: .open) { busySnapshot() }
        let metrics = routes.answer(get("/metrics"))
        #expect(metrics.status == 200 && metrics.headers.contains { $0.1 == PrometheusExposition.contentType })
        #expect(routes.answer(get("/healthz")).status == 200 && routes.answer(get("/readyz")).status == 200)
        let page = routes.answer(get("/"))
        #expect(page.status == 200 && page.headers.contains { $0.0 == "Content-Security-Policy" })
        #expect(routes.answer(get("/vault.sqlite")).status == 404)
        var down = busySnapshot()
        down.ingest.connected = false
        let disconnected = down
        let ready = MonitorRoutes(access: .open) { disconnected }.answer(get("/readyz"))
        #expect(ready.status == 503 && String(decoding: ready.body, as: UTF8.self).contains("FAIL broker"))
    }

    @Test func basicAuthenticationIsRequiredAndCountedWhenConfigured() {
        let routes = MonitorRoutes(access: .basic(user: "tech", password: "s3cret")) { busySnapshot() }
        let refused = routes.answer(get("/"))
        #expect(refused.status == 401 && refused.headers.contains { $0.0 == "WWW-Authenticate" && $0.1.hasPrefix("Basic") })
        for wrong in [basic("tech", "guess"), basic("other", "s3cret"), "Bearer s3cret", "Basic !!!", basic("tech", "s3cret!")] {
            #expect(routes.answer(get("/metrics", authorization: wrong)).status == 401)
        }
        let metrics = routes.answer(get("/metrics", authorization: basic("tech", "s3cret")))
        #expect(metrics.status == 200)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("vitalgate_http_unauthorized_requests_total 6\n"))
    }

    @Test func thePageShowsBedsByLabelAndPseudonymAndEscapesWhatDevicesSend() {
        var snapshot = busySnapshot()
        snapshot.ingest.beds[0].bed = "ICU-3<script>alert(1)</script>"
        let html = StatusPage(snapshot).html
        #expect(html.contains("ICU-3&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"))
        #expect(html.contains("patient 0123456789ab"))
        #expect(html.contains("OXP-7F31A2") && html.contains("88 %") && html.contains("90 %"))
        #expect(html.contains("clinical: desaturation"))
        #expect(html.contains("<polyline class=\"hr\"") && html.contains("HR 72 /min") && html.contains("SpO₂ 96 %"))
        #expect(html.contains("Delivery: fhir") && html.contains("1000 waiting"))
        #expect(html.contains("40 of 42 batches anchored") && html.contains("version 7") && html.contains("tree size 42"))
        #expect(html.contains("118 MiB of 256 MiB"))
    }

    @Test func theChartSpansTheBedsHistoryBetweenTenAndSixtyMinutesAndMarksEveryMinute() {
        let now: Int64 = 1_796_000_000_000
        let one = BedChart([BedStatus.Minute(start: now - 120_000, heartRate: 80, spo2: nil)], now: now)
        #expect(one.spanMinutes == 10 && one.svg.contains("last 10 min") && one.svg.contains("<circle"))
        #expect(!one.svg.contains("class=\"spo2\""))
        let long = (0..<90).reversed().map { BedStatus.Minute(start: now - Int64($0) * 60_000, heartRate: 70, spo2: 98) }
        #expect(BedChart(long, now: now).spanMinutes == 60)
        #expect(BedChart([], now: now).svg.isEmpty)
    }
}
