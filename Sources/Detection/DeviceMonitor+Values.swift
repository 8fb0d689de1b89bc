import Telemetry

extension DeviceMonitor {
    /// Value checks on a fresh reading: signal loss, plausibility, cross-channel consistency,
    /// spikes, flatline, stuck channels, frozen fields and replayed segments.
    mutating func observeValues(_ reading: Reading, at now: Int64, config: DetectionConfig,
                                findings: inout [Finding]) {
        if role == .unknown { role = DeviceRole(reading: reading) }
        // signal lost is a state: one finding on entry, then only reminders through the gate
        if let lost = reading.measurements.first(where: { $0.value == .noSignal }) {
            noSignalRun += 1
            if noSignalRun >= config.signalLostReadings {
                if signalLostSince == nil { signalLostSince = now }
                let kind = role == .ecg ? "lead_off" : (role == .oximeter ? "probe_off" : "signal_lost")
                _ = lost
                findings.append(finding(kind, .fault, 0.97, from: signalLostSince ?? now, to: now))
            }
            samePrintRun = 0
            replay.breakWindow()
            freeze.breakRuns()
            trace.breakBlock()
            return
        }
        noSignalRun = 0
        signalLostSince = nil

        var values = [Double?](repeating: nil, count: TrackedChannel.allCases.count)
        // a reading whose pressures are inconsistent must not become anyone's baseline
        let swapped = (reading.number(Channel.diastolic) ?? 0) >= (reading.number(Channel.systolic) ?? .infinity)
        for m in reading.measurements {
            guard let c = TrackedChannel(m.channel), case .number(let x) = m.value else { continue }
            values[c.rawValue] = x
            if !c.plausible.contains(x) {
                findings.append(finding("implausible_\(m.channel)", .fault, 0.97, from: now, to: now))
                continue
            }
            let lowQuality = (m.quality ?? 1) < 0.85
            var h = histories[c.rawValue]
            let needed = isFast ? 5 : 3
            if h.count >= needed, !lowQuality, isFast || c != .pulseRate, let median = h.median(last: isFast ? 15 : 5) {
                var (threshold, direction) = c.jump
                if !isFast { threshold *= 1.2 }   // sparse readings: minutes of physiology between them
                let d = x - Double(median)
                let size = direction < 0 ? -d : abs(d)
                if size >= threshold, c != .spo2 || !pulseScattered(reading) {
                    findings.append(finding("spike_\(m.channel)", .fault,
                                            Finding.score(size, trigger: threshold, scale: threshold / 4),
                                            from: now, to: now))
                }
            }
            if c.canStick, isFast {
                stuckRuns[c.rawValue] = h.last == Float(x) ? stuckRuns[c.rawValue] + 1 : 0
                if stuckRuns[c.rawValue] >= config.stuckChannelReadings {
                    findings.append(finding("stuck_\(m.channel)", .fault, 0.95,
                                            from: now - Int64(periodMs) * Int64(stuckRuns[c.rawValue]), to: now))
                }
            }
            if !swapped { h.append(Float(x)) }
            histories[c.rawValue] = h
        }
        // blood pressure: diastolic must lie below systolic
        if let s = values[TrackedChannel.systolic.rawValue], let d = values[TrackedChannel.diastolic.rawValue], d >= s {
            findings.append(finding("diastolic_not_below_systolic", .fault,
                                    Finding.score(d - s, trigger: 0, scale: 5), from: now, to: now))
        }
        // ECG: the reported rate must match the rate implied by the reported RR intervals
        if let hr = values[TrackedChannel.heartRate.rawValue],
           case .series(let rr)? = reading[Channel.rrIntervals]?.value, !rr.isEmpty {
            let implied = 60_000 / (rr.reduce(0, +) / Double(rr.count))
            let gap = abs(hr - implied)
            if gap > max(config.hrIntervalTolerance, 0.1 * implied) {
                if mismatchRun == 0 { mismatchSince = now }
                mismatchRun += 1
                let kind = mismatchRun >= 8 ? "heart_rate_not_matching_rr" : "heart_rate_glitch"
                let category: AlertCategory = mismatchRun >= 8 ? .security : .fault
                findings.append(finding(kind, category, Finding.score(gap, trigger: config.hrIntervalTolerance, scale: 4),
                                        from: mismatchSince, to: now))
            } else {
                mismatchRun = 0
            }
        }
        if isFast { observeFreezeAndTrace(reading, at: now, config: config, findings: &findings) }
        // flatline: the whole output frozen while seq/ts advance
        let print = Fingerprint.values(of: reading, includeBattery: false)
        if print == lastPrint {
            samePrintRun += 1
        } else {
            samePrintRun = 0
            samePrintSince = now
            lastPrint = print
        }
        let numeric = reading.measurements.reduce(0) { n, m in
            if case .number = m.value { return n + 1 }
            return n
        }
        let flatlineAfter = isFast ? config.flatlineReadings : (numeric >= 3 ? 5 : Int.max)
        if samePrintRun >= flatlineAfter {
            findings.append(finding("flatline", .fault,
                                    Finding.score(Double(samePrintRun), trigger: Double(flatlineAfter),
                                                  scale: Double(flatlineAfter) / 2),
                                    from: samePrintSince, to: now))
        }
        // replayed segment: windows of values that match the device's own older output
        if isFast, samePrintRun < 3 {
            let full = Fingerprint.values(of: reading, includeBattery: true)
            if let (hits, of) = replay.observe(full, at: now, recent: config.replayWindow) {
                if of >= config.replayWindow, hits >= config.replayMatches {
                    if replaySince == nil { replaySince = now }
                    findings.append(finding("replayed_segment", .security,
                                            Finding.score(Double(hits), trigger: Double(config.replayMatches), scale: 2),
                                            from: replaySince ?? now, to: now))
                } else if hits <= 1 {
                    replaySince = nil
                }
            }
        }
    }
}

extension DeviceMonitor {
    /// Frozen fields (`FieldFreeze`) and noisy replays of the accelerometer (`ReplayTrace`) of a fast device.
    mutating func observeFreezeAndTrace(_ reading: Reading, at now: Int64, config: DetectionConfig,
                                        findings: inout [Finding]) {
        for (channel, run, needed) in freeze.observe(reading) {
            findings.append(finding("frozen_\(channel)", .fault,
                                    Finding.score(Double(run), trigger: Double(needed), scale: Double(needed) / 2),
                                    from: now - Int64(periodMs) * Int64(run), to: now))
        }
        if case .series(let acc)? = reading[Channel.acceleration]?.value, let streak = trace.add(acc, at: now),
           streak >= config.replayTraceTests {
            findings.append(finding("replayed_segment", .security,
                                    Finding.score(Double(streak), trigger: Double(config.replayTraceTests), scale: 2),
                                    from: now - Int64(ReplayTrace.window) * ReplayTrace.blockMs, to: now))
        }
    }

    /// True when the oximeter's own pulse rate, in this reading or the two before, is 5 /min or
    /// more away from its recent median: the pleth is scattered (a moving probe), so a SpO2 jump
    /// in the same reading is the edge of a motion artefact, not a sensor spike (a spike moves
    /// one value and leaves the pulse rate alone).
    func pulseScattered(_ reading: Reading) -> Bool {
        let h = histories[TrackedChannel.pulseRate.rawValue]
        guard h.count >= 5, let median = h.median(last: 15) else { return false }
        var recent: [Float] = [h.recent(0), h.recent(1)].compactMap { $0 }
        if let pr = reading.number(Channel.pulseRate) { recent.append(Float(pr)) }
        return recent.contains { abs($0 - median) >= Self.scatteredPulseBpm }
    }

    /// How far (/min) the oximeter's pulse rate must be from its recent median to count as scattered.
    static let scatteredPulseBpm: Float = 5
}
