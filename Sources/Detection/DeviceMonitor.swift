import Telemetry

/// Per-device streaming detectors: transport (duplicates, flooding, batched delivery,
/// sequence and timestamp regressions), signal loss, plausibility and spikes, flatline,
/// stuck channels, frozen fields and replayed segments (exact and noisy). All state is bounded.
struct DeviceMonitor: Equatable {
    let device: DeviceID
    var role: DeviceRole = .unknown
    /// Nominal reporting period (ms), learnt from consecutive device timestamps.
    var period = EWMA()
    // transport
    var lastArrival: Int64 = 0
    var previousGap: Int64 = 0
    var maxSeq: UInt32?
    var maxDeviceTime: Int64 = 0
    var lastInfoAt: Int64 = .min / 2
    var recentKeys = TimeRing(capacity: 48)
    var duplicateTimes = TimeRing(capacity: 32)
    var arrivalTimes = TimeRing(capacity: 64)
    var arrivalDeviceTimes = TimeRing(capacity: 64)
    var batchTimes = TimeRing(capacity: 8)
    // signal
    var noSignalRun = 0
    var signalLostSince: Int64?
    // values
    var histories = TrackedChannel.allCases.map { _ in RingBuffer(capacity: 15) }
    var stuckRuns = [Int](repeating: 0, count: TrackedChannel.allCases.count)
    var lastPrint: UInt64 = 0
    var samePrintRun = 0
    var samePrintSince: Int64 = 0
    var mismatchRun = 0
    var mismatchSince: Int64 = 0
    var replay = ReplayFingerprint()
    var replaySince: Int64?
    var freeze = FieldFreeze()
    var trace = ReplayTrace()

    init(device: DeviceID) { self.device = device }

    var periodMs: Double { period.samples > 0 ? Double(period.mean) : 1000 }
    /// Whether the device reports at least every 2 s (learnt; unknown counts as not fast).
    var isFast: Bool { period.samples > 0 && periodMs <= 2000 }

    func finding(_ kind: String, _ category: AlertCategory, _ score: Double, from start: Int64,
                         to end: Int64) -> Finding {
        Finding(kind: kind, category: category, score: score, device: device, evidenceStart: start, evidenceEnd: end)
    }

    /// A device re-announced itself (`info`): a following sequence restart is expected.
    mutating func noteInfo(at now: Int64) { lastInfoAt = now }

    /// The decoder quarantined a message of this device.
    mutating func observeQuarantine(_ verdict: QuarantineVerdict, at now: Int64) -> [Finding] {
        guard verdict.reason == .implausibleValue else { return [] }
        return [finding("implausible_value", .fault, 0.97, from: now, to: now)]
    }

    /// Whether a reading is a re-delivered duplicate (same device timestamp as a recent one; the
    /// sequence number is not trusted, as bridges re-deliver across device reboots).
    mutating func isDuplicate(_ reading: Reading, at now: Int64, config: DetectionConfig,
                              findings: inout [Finding]) -> Bool {
        let key = reading.deviceTime   // a re-delivery repeats the device timestamp exactly
        guard recentKeys.contains(key) else {
            recentKeys.append(key)
            return false
        }
        duplicateTimes.append(now)
        let burst = duplicateTimes.countRecent(since: now - 3000)
        if burst >= config.floodDuplicates {
            let score = Finding.score(Double(burst), trigger: Double(config.floodDuplicates), scale: 10)
            findings.append(finding("flood_duplicates", .security, score, from: now - 3000, to: now))
        }
        return true
    }

    /// Transport checks on a fresh (non-duplicate) reading.
    mutating func observeTransport(_ reading: Reading, at now: Int64, config: DetectionConfig,
                                   findings: inout [Finding]) {
        let gap = lastArrival == 0 ? 0 : now - lastArrival
        // period: consecutive sequence numbers only
        if let last = maxSeq, reading.seq == last &+ 1, reading.deviceTime > maxDeviceTime {
            let delta = Float(reading.deviceTime - maxDeviceTime)
            if delta < 4 * 3_600_000 { period.update(delta, alpha: 0.05) }
        }
        // flooding with fresh sequence numbers: many more messages than device-time elapsed
        arrivalTimes.append(now)
        arrivalDeviceTimes.append(reading.deviceTime)
        let n = arrivalTimes.countRecent(since: now - 3000)
        if n >= 8 {
            var lo = Int64.max, hi = Int64.min
            for k in 0..<n {
                let t = arrivalDeviceTimes.recent(k)!
                lo = min(lo, t); hi = max(hi, t)
            }
            let expected = Double(hi - lo) / periodMs + 1
            let excess = Double(n) / expected
            if excess >= 3 {
                findings.append(finding("flood_rate", .security, Finding.score(excess, trigger: 3, scale: 2),
                                        from: now - 3000, to: now))
            }
        }
        // batched delivery: a silence of several periods followed by a burst, repeatedly
        let silence = Int64(max(2500, 2.5 * periodMs))
        if previousGap >= silence, gap <= 200, lastArrival != 0 {
            batchTimes.append(now)
            let batches = batchTimes.countRecent(since: now - config.batchWindowMs)
            if batches >= config.timingBatches {
                let score = Finding.score(Double(batches), trigger: Double(config.timingBatches), scale: 2)
                findings.append(finding("batched_delivery", .security, score,
                                        from: batchTimes.recent(batches - 1) ?? now, to: now))
            }
        }
        previousGap = gap
        lastArrival = now
        // sequence regression without a re-announcement (reboot), and device-clock regression
        if let last = maxSeq {
            let back = last &- reading.seq
            let ahead = reading.seq &- last
            if ahead < 1 << 31 {
                maxSeq = reading.seq
            } else if back > 100, now - lastInfoAt > 120_000 {
                findings.append(finding("sequence_regression", .security, 0.95, from: now, to: now))
                maxSeq = reading.seq
            }
            if ahead < 1 << 31, ahead > 0, reading.deviceTime < maxDeviceTime - 600_000,
               now - lastInfoAt > 120_000 {
                findings.append(finding("timestamp_regression", .security, 0.93, from: now, to: now))
            }
        } else {
            maxSeq = reading.seq
        }
        if now - lastInfoAt <= 120_000, reading.seq < 16 { maxSeq = reading.seq }
        maxDeviceTime = max(maxDeviceTime, reading.deviceTime)
    }
}
