extension PatientMonitor {
    /// Closes a minute when the arrival clock passes it and runs the trend tests.
    mutating func tickTrends(at now: Int64, config: DetectionConfig, findings: inout [Finding]) {
        if trends.nextMinute == 0 { trends.nextMinute = now + 60_000 }
        guard now >= trends.nextMinute else { return }
        trends.nextMinute += 60_000
        if now >= trends.nextMinute { trends.nextMinute = now + 60_000 }   // a long silence
        typealias V = TrendState.Vital
        var value = [Float](repeating: .nan, count: V.allCases.count)
        if now - heartRateAt < 60_000, let x = heartRate.median() {
            value[V.heartRate.rawValue] = x
        } else if now - pulseRateAt < 60_000, let x = pulseRate.median() {
            value[V.heartRate.rawValue] = x
        }
        if let x = respiratoryRate.median() { value[V.respiratoryRate.rawValue] = x }
        // the mean, not the median: saturation is reported in whole percent, and the median of
        // a minute of integers moves in whole steps, hiding a slow fall for many minutes
        if let x = spo2.mean() { value[V.spo2.rawValue] = x }
        if now - systolicAt < 20 * 60_000, let x = systolic.median() { value[V.systolic.rawValue] = x }
        if now - lastTemperatureAt < 180_000, let x = lastTemperature { value[V.temperature.rawValue] = x }
        for v in V.allCases { trends.minutes[v.rawValue].append(value[v.rawValue]) }
        let act = Float(activity)
        trends.activity.append(act)
        evaluateTrends(at: now, config: config, findings: &findings)
    }

    /// The newest level of a vital: the median of the last 3 minutes, or for the sparse systolic
    /// pressure (whose minute values are medians over 15 minutes) the latest measurement.
    func recentValue(_ v: TrendState.Vital, gate: Float) -> Float? {
        if v == .systolic { return systolic.last }
        return trends.median(v, from: 0, to: 3, gate: gate, minimum: 2)
    }

    private mutating func evaluateTrends(at now: Int64, config: DetectionConfig, findings: inout [Finding]) {
        typealias V = TrendState.Vital
        let gate = Float(config.activityGate)
        var z = [Float](repeating: 0, count: V.allCases.count)
        var short = [Float?](repeating: nil, count: V.allCases.count)
        var base = [Float?](repeating: nil, count: V.allCases.count)
        for v in V.allCases {
            let s = trends.median(v, from: 0, to: TrendState.shortMinutes, gate: gate, minimum: 3)
            let b = trends.median(v, from: TrendState.baselineFrom, to: TrendState.capacity, gate: gate, minimum: 30)
            short[v.rawValue] = s
            base[v.rawValue] = b
            if let s, let b { z[v.rawValue] = v.sign * (s - b) / v.scale }
        }
        func news(_ xs: [Float?]) -> Int {
            NEWS2.score(respiratoryRate: xs[V.respiratoryRate.rawValue].map(Double.init),
                        spo2: xs[V.spo2.rawValue].map(Double.init),
                        systolic: xs[V.systolic.rawValue].map(Double.init),
                        pulse: xs[V.heartRate.rawValue].map(Double.init),
                        temperature: xs[V.temperature.rawValue].map(Double.init))
        }
        let newsNow = news(short), newsBase = news(base)
        let index = z.reduce(0) { $0 + min(TrendState.zCeiling, max(-1, $1)) } + 0.5 * Float(max(0, newsNow - newsBase))
        let elevated = z.filter { $0 >= 0.8 }.count
        let act = trends.activity.last ?? 0
        let coupled = coupling.residual()
        trends.lastEvaluation = z + [Float(newsNow), Float(newsBase), index, act,
                                     Float(coupled?.spread ?? .nan), Float(coupled?.offset ?? .nan)]
        guard act < gate, base.contains(where: { $0 != nil }) else { return }
        // candidates from `candidateMargin` below the trigger carry scores under 0.92; the alert
        // gate's per-kind threshold decides (DetectionConfig.kindOffsets, docs/DETECTION.md "Calibration")
        // three vitals, or two that each moved strongly (a deterioration whose other vitals
        // follow minutes later, or never: a patient on oxygen, a beta-blocked heart), at a
        // penalty on the index
        let strong = z.filter { $0 >= TrendState.twoVitalMinimumZ }.count
        let evidence = elevated >= 3 ? index : strong >= 2 ? index - TrendState.twoVitalPenalty : -.infinity
        if Double(evidence) >= config.deteriorationTrigger - TrendState.candidateMargin {
            findings.append(Finding(kind: "deterioration", category: .clinical,
                                    score: Finding.score(Double(evidence), trigger: config.deteriorationTrigger, scale: 1),
                                    device: nil, evidenceStart: now - Int64(TrendState.shortMinutes) * 60_000,
                                    evidenceEnd: now, episodic: true))
        }
        // single-channel drift: one sensor moves, the physiology around it does not
        for (v, trigger, kind) in [(V.temperature, Float(2.2), "drift_body_temperature"), (V.spo2, 2.2, "drift_spo2"),
                                   (V.systolic, 3.5, "drift_systolic_pressure")] {
            let zc = z[v.rawValue]
            let others = z.enumerated().filter { $0.offset != v.rawValue && $0.element >= 0.8 }.count
            // the newest data must still show the shift (the short median lags by minutes, so
            // without this a sensor or vital that has already returned keeps "drifting")
            let candidate = trigger - Float(TrendState.candidateMargin) / 2
            guard zc >= candidate, others <= 1, let b = base[v.rawValue], let latest = recentValue(v, gate: gate),
                  v.sign * (latest - b) / v.scale >= candidate / 2 else { continue }
            findings.append(Finding(kind: kind, category: .fault,
                                    score: Finding.score(Double(zc), trigger: Double(trigger), scale: 0.5),
                                    device: nil, evidenceStart: now - Int64(TrendState.shortMinutes) * 60_000,
                                    evidenceEnd: now, episodic: true))
        }
    }
}
