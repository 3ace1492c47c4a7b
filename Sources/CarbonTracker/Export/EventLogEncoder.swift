import Foundation

/// Turns ``RunEvent``s into the lines of a `..._carbontracker_events.jsonl` file
/// (schema `carbontracker.events/2`, `docs/events.schema.json`).
///
/// ```swift
/// var encoder = EventLogEncoder(runID: "1234.5_2026-01-01T000000Z")
/// var json = JSONWriter()
/// encoder.append(.runEnded(Date()), now: Date(), to: &json)   // {"event":"run_ended","time":...}\n
/// ```
///
/// The `run_started` line states once what holds for the whole run: `schema`, `run`, the start and
/// each component's devices and method. Every other line has `event` and, except an epoch's, `time`
/// (RFC 3339 UTC: the event's own instant where it has one, else when its batch was written). An epoch
/// line, written once per epoch, is compact (``appendEpoch(_:_:since:_:)``): at most about 240 bytes for
/// a CPU and a GPU. Field names carry their units. Cost per epoch: a few hundred bytes appended, no allocation.
struct EventLogEncoder {
    /// The `schema` value of the `run_started` line.
    static let schema = EventLogSchema.name
    /// Significant digits of the CO2 and of the energy and CO2 bounds: a part in a million, far finer
    /// than any power source measures. The value and its bounds are rounded alike, so a range that is one
    /// value stays one value.
    static let significantDigits = 6

    /// The run id written in the `run_started` line.
    let runID: String
    private var time = RFC3339Formatter()
    private var epochs = 0
    /// The `run_started` line's `start`, from which epoch lines count their `t`.
    private var runStart: Date?
    /// The components of the `run_started` line, whose order, devices and methods epoch lines assume.
    private var declared: [ComponentInfo] = []

    /// Creates an encoder for one run.
    /// - Parameter runID: The run id of the file name (`{prefix_}{pid}.{id}_{timestamp}`).
    init(runID: String) { self.runID = runID }

    /// Appends one event as one line.
    /// - Parameters:
    ///   - event: The event.
    ///   - now: The batch's wall-clock time, for events that carry no instant of their own.
    ///   - json: Where to append.
    mutating func append(_ event: RunEvent, now: Date, to json: inout JSONWriter) {
        switch event {
        case .runStarted(let run):
            runStarted(run, &json)
        case .intensity(let estimate, let fetchedAt):
            header("intensity", now, &json)
            json.field("intensity_g_per_kwh", estimate.gramsPerKilowattHour)
            json.field("provider", estimate.source)
            json.field("estimated", !estimate.isFetched)
            json.field("forecast", estimate.isPrediction)
            json.field("localized", estimate.isLocalized)
            json.field("location", estimate.address)
            json.field("country_code", estimate.countryCode)
            json.key("fetched_at")
            date(fetchedAt, &json)
        case .epoch(let number, let measurement):
            epochs += 1
            if let runStart, matchesDeclared(measurement.components) {
                appendEpoch(number, measurement, since: runStart, &json)
                return
            }
            // Components the run_started line does not describe: the epoch names its own.
            header("epoch", measurement.endDate, &json)
            json.field("epoch", number)
            measured(measurement, &json)
        case .window(let measurement):
            header("window", measurement.endDate, &json)
            measured(measurement, &json)
        case .prediction(let report):
            header("prediction", now, &json)
            consumption(report, &json)
        case .actual(let report):
            header("actual", now, &json)
            consumption(report, &json)
        case .powerSeries(let series):
            header("power_series", now, &json)
            json.key("start")
            date(series.startDate, &json)
            json.field("interval_s", series.intervalSeconds)
            json.key("covered_s")
            json.numbers(series.coveredSeconds, fractionDigits: 6)
            json.array("components", series.components) { json, component in
                json.object { json in
                    json.field("component", component.kind.rawValue)
                    json.key("energy_j")
                    json.numbers(component.joules, fractionDigits: 6)
                }
            }
            json.key("intensity_g_per_kwh")
            json.numbers(series.gramsPerKilowattHour, fractionDigits: 6)
        case .runEnded(let end, let interrupted):
            header("run_ended", end, &json)
            json.field("interrupted", interrupted)
            json.field("epochs", epochs)
        }
        json.endObject()
        json.newline()
    }

    private mutating func runStarted(_ run: RunDescription, _ json: inout JSONWriter) {
        runStart = run.startDate
        declared = run.components
        json.beginObject()
        json.field("schema", Self.schema)
        json.key("event")
        json.rawValue { $0.append(contentsOf: #""run_started""#.utf8) }
        json.key("time")
        date(run.startDate, &json)
        json.field("run", runID)
        json.field("version", run.version)
        json.key("start")
        date(run.startDate, &json)
        json.field("node", run.node)
        json.field("location", run.location)
        json.field("pue", run.powerUsageEffectiveness)
        json.object("configuration") { json in
            for name in run.configuration.keys.sorted() {
                json.key(escaping: name)
                json.string(run.configuration[name] ?? "")
            }
        }
        json.object("labels") { json in
            for label in run.labels {
                json.key(escaping: label.name)
                json.string(label.value)
            }
        }
        json.array("components", run.components) { json, component in
            json.object { json in
                json.field("component", component.kind.rawValue)
                json.field("handler", component.handlerName)
                json.field("devices", strings: component.devices)
                json.field("method", component.method.rawValue)
            }
        }
    }

    /// Whether `components` are the `run_started` line's, in its order and with its devices, so that an
    /// epoch line can give their energy by position.
    private func matchesDeclared(_ components: [ComponentEnergy]) -> Bool {
        guard components.count == declared.count else { return false }
        for index in components.indices
        where components[index].kind != declared[index].kind
            || components[index].devices != declared[index].devices
            || components[index].joules.count != declared[index].devices.count
        {
            return false
        }
        return true
    }

    /// The compact epoch line, `{"event":"epoch","epoch":N,"t":...,"s":...,"j":[...],"co2_g":...,
    /// "energy_kwh_low":...,...}`: `t` is the start in seconds after the run's start (to the millisecond),
    /// `s` the duration in seconds (to the nanosecond, so that `j` over `s` gives the average power to 6
    /// digits even for a short epoch), `j` the joules of each component in
    /// `run_started`'s order (to the microjoule, as the standard log): a number for a component of one
    /// device, an array for several. A component whose method differs from the declared one adds
    /// `methods`; an epoch shorter than a source's update period adds `"approx":true`.
    private mutating func appendEpoch(
        _ number: Int, _ measurement: WindowMeasurement, since runStart: Date, _ json: inout JSONWriter
    ) {
        let components = measurement.components
        var devices = 0
        for index in components.indices { devices &+= components[index].joules.count }
        // Every number at its longest, every name and bracket: an upper bound of the line's length.
        let capacity = 400 + (devices + 8) * (DecimalText.maximumLength + 1) + components.count * 16
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var line = LineCursor(buffer.baseAddress!)
            line.text("{\"event\":\"epoch\",\"epoch\":")
            line.integer(number)
            line.text(",\"t\":")
            line.number(measurement.startDate.timeIntervalSince(runStart), fractionDigits: 3)
            line.text(",\"s\":")
            line.number(measurement.durationSeconds, fractionDigits: 9)
            line.text(",\"j\":[")
            // By index: a `for component in` loop would copy (retain and release) each component.
            for index in components.indices {
                if index > 0 { line.byte(UInt8(ascii: ",")) }
                let joules = components[index].joules
                if joules.count == 1 {
                    line.number(joules[0], fractionDigits: 6)
                } else {
                    line.byte(UInt8(ascii: "["))
                    for device in joules.indices {
                        if device > 0 { line.byte(UInt8(ascii: ",")) }
                        line.number(joules[device], fractionDigits: 6)
                    }
                    line.byte(UInt8(ascii: "]"))
                }
            }
            let digits = Self.significantDigits
            line.text("],\"co2_g\":")
            line.number(measurement.co2eqGrams, significantDigits: digits)
            line.text(",\"energy_kwh_low\":")
            line.number(measurement.energyKilowattHoursRange.lowerBound, significantDigits: digits)
            line.text(",\"energy_kwh_high\":")
            line.number(measurement.energyKilowattHoursRange.upperBound, significantDigits: digits)
            line.text(",\"co2eq_grams_low\":")
            line.number(measurement.co2eqGramsRange.lowerBound, significantDigits: digits)
            line.text(",\"co2eq_grams_high\":")
            line.number(measurement.co2eqGramsRange.upperBound, significantDigits: digits)
            if measurement.isApproximate { line.text(",\"approx\":true") }
            if components.indices.contains(where: { components[$0].method != declared[$0].method }) {
                line.text(",\"methods\":[")
                for index in components.indices {
                    if index > 0 { line.byte(UInt8(ascii: ",")) }
                    // Method names are fixed ASCII words: no escaping needed.
                    line.byte(UInt8(ascii: "\""))
                    for byte in components[index].method.rawValue.utf8 { line.byte(byte) }
                    line.byte(UInt8(ascii: "\""))
                }
                line.byte(UInt8(ascii: "]"))
            }
            line.text("}\n")
            json.appendLine(
                UnsafeBufferPointer(start: buffer.baseAddress, count: line.count(from: buffer.baseAddress!)))
        }
    }

    private mutating func header(_ event: StaticString, _ instant: Date, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("event")
        json.rawValue { bytes in
            bytes.append(UInt8(ascii: "\""))
            event.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\""))
        }
        json.key("time")
        date(instant, &json)
    }

    private mutating func date(_ instant: Date, _ json: inout JSONWriter, microseconds: Bool = false) {
        json.rawValue { time.appendQuoted(instant, to: &$0, microseconds: microseconds) }
    }

    /// `energy_kwh_low`, `energy_kwh_high`, `co2eq_grams_low` and `co2eq_grams_high`.
    private func ranges(
        _ energy: ClosedRange<Double>, _ co2: ClosedRange<Double>, _ json: inout JSONWriter
    ) {
        let digits = Self.significantDigits
        json.field("energy_kwh_low", energy.lowerBound, significantDigits: digits)
        json.field("energy_kwh_high", energy.upperBound, significantDigits: digits)
        json.field("co2eq_grams_low", co2.lowerBound, significantDigits: digits)
        json.field("co2eq_grams_high", co2.upperBound, significantDigits: digits)
    }

    private mutating func measured(_ measurement: WindowMeasurement, _ json: inout JSONWriter) {
        json.field("name", measurement.name)
        // To the microsecond, so that windows shorter than a millisecond still nest by their times.
        json.key("start")
        date(measurement.startDate, &json, microseconds: true)
        json.key("end")
        date(measurement.endDate, &json, microseconds: true)
        // Rounded to what the standard log and any reader can use (a microsecond, a microjoule, ...):
        // a full-precision double is 17 digits.
        json.field("duration_seconds", LogNumber.rounded(measurement.durationSeconds, 1e6))
        json.field("energy_kwh", LogNumber.rounded(measurement.energyKilowattHours, 1e15))
        json.field("co2eq_grams", LogNumber.rounded(measurement.co2eqGrams, 1e12))
        ranges(measurement.energyKilowattHoursRange, measurement.co2eqGramsRange, &json)
        json.field("intensity_g_per_kwh", LogNumber.rounded(measurement.gramsPerKilowattHour, 1e6))
        json.field("approximate", measurement.isApproximate)
        Self.components(measurement.components, rounded: true, &json)
    }

    private func consumption(_ report: ConsumptionReport, _ json: inout JSONWriter) {
        json.field("epochs", report.epochs)
        json.field("duration_seconds", report.durationSeconds)
        json.field("energy_kwh", report.energyKilowattHours)
        json.field("co2eq_grams", report.co2eqGrams)
        ranges(report.energyKilowattHoursRange, report.co2eqGramsRange, &json)
        json.field("intensity_g_per_kwh", report.gramsPerKilowattHour)
        json.equivalents(report.equivalents)
        Self.components(report.components, rounded: false, &json)
    }

    private static func components(
        _ components: [ComponentEnergy], rounded: Bool, _ json: inout JSONWriter
    ) {
        json.array("components", components) { json, component in
            json.object { json in
                json.field("component", component.kind.rawValue)
                json.field("devices", strings: component.devices)
                if rounded {
                    json.key("energy_joules")
                    json.numbers(component.joules, fractionDigits: 6)
                    json.key("average_power_watts")
                    json.numbers(component.averageWatts, fractionDigits: 6)
                } else {
                    json.field("energy_joules", numbers: component.joules)
                    json.field("average_power_watts", numbers: component.averageWatts)
                }
                json.field("method", component.method.rawValue)
            }
        }
    }
}

extension JSONWriter {
    /// Writes `"equivalents":[{"unit":...,"amount":...},...]`.
    mutating func equivalents(_ equivalents: [ConsumptionReport.Equivalent]) {
        array("equivalents", equivalents) { json, equivalent in
            json.object { json in
                json.field("unit", equivalent.unit)
                json.field("amount", equivalent.amount)
            }
        }
    }
}
