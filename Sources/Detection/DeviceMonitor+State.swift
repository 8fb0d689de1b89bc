import Telemetry

extension DeviceMonitor: StateCodable {
    func encode(to w: inout StateWriter) {
        w.write(device.rawValue); w.write(role); w.write(period)
        w.write(lastArrival); w.write(previousGap); w.write(maxSeq); w.write(maxDeviceTime); w.write(lastInfoAt)
        w.write(recentKeys); w.write(duplicateTimes); w.write(arrivalTimes); w.write(arrivalDeviceTimes)
        w.write(batchTimes)
        w.write(noSignalRun); w.write(signalLostSince)
        w.write(histories); w.write(stuckRuns); w.write(lastPrint); w.write(samePrintRun); w.write(samePrintSince)
        w.write(mismatchRun); w.write(mismatchSince)
        w.write(replay); w.write(replaySince)
        w.write(freeze); w.write(trace)
    }

    init(from r: inout StateReader) throws(DetectionStateError) {
        guard let id = DeviceID(try r.read(String.self)) else { throw DetectionStateError("invalid device id") }
        self.init(device: id)
        role = try r.read(); period = try r.read()
        lastArrival = try r.read(); previousGap = try r.read(); maxSeq = try r.read(); maxDeviceTime = try r.read()
        lastInfoAt = try r.read()
        recentKeys = try r.read(); duplicateTimes = try r.read(); arrivalTimes = try r.read()
        arrivalDeviceTimes = try r.read(); batchTimes = try r.read()
        noSignalRun = try r.read(); signalLostSince = try r.read()
        histories = try r.read(); stuckRuns = try r.read(); lastPrint = try r.read(); samePrintRun = try r.read()
        samePrintSince = try r.read()
        mismatchRun = try r.read(); mismatchSince = try r.read()
        replay = try r.read(); replaySince = try r.read()
        freeze = try r.read(); trace = try r.read()
        guard histories.count == TrackedChannel.allCases.count, stuckRuns.count == histories.count else {
            throw DetectionStateError("malformed device state")
        }
    }
}

extension PatientMonitor: StateCodable {
    func encode(to w: inout StateWriter) {
        w.write(heartRate); w.write(heartRateAt); w.write(pulseRate); w.write(pulseRateAt)
        w.write(spo2); w.write(respiratoryRate); w.write(spo2Baseline); w.write(desaturationSince)
        w.write(coupling); w.write(decoupledSince)
        w.write(gravity); w.write(motionPower); w.write(postureMismatchRun)
        w.write(lastTemperature); w.write(lastTemperatureAt); w.write(systolic); w.write(systolicAt)
        w.write(trends)
    }

    init(from r: inout StateReader) throws(DetectionStateError) {
        self.init()
        heartRate = try r.read(); heartRateAt = try r.read(); pulseRate = try r.read(); pulseRateAt = try r.read()
        spo2 = try r.read(); respiratoryRate = try r.read(); spo2Baseline = try r.read()
        desaturationSince = try r.read()
        coupling = try r.read(); decoupledSince = try r.read()
        gravity = try r.read(); motionPower = try r.read(); postureMismatchRun = try r.read()
        lastTemperature = try r.read(); lastTemperatureAt = try r.read(); systolic = try r.read()
        systolicAt = try r.read()
        trends = try r.read()
        guard gravity.count == 3 else { throw DetectionStateError("malformed patient state") }
    }
}
