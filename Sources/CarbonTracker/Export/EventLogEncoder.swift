import Foundation

/// Turns ``RunEvent``s into the lines of a `..._carbontracker_events.jsonl` file
/// (schema `carbontracker.events/1`, `docs/events.schema.json`).
///
/// ```swift
/// var encoder = EventLogEncoder(runID: "1234.5_2026-01-01T000000Z")
/// var json = JSONWriter()
/// encoder.append(.runEnded(Date()), now: Date(), to: &json)   // {"schema":...,"event":"run_ended",...}\n
/// ```
///
/// Every object starts with `schema`, `event`, `time` (RFC 3339 UTC: the event's own instant where it
/// has one, else when its batch was written) and `run`. Field names carry their units. Cost per epoch:
/// a few hundred bytes appended, one small `String` per number.
struct EventLogEncoder {
    /// The `schema` value of every line.
    static let schema = EventLogSchema.name

    /// The run id written in every line.
    let runID: String
    private var time = RFC3339Formatter()
    private var epochs = 0

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
            header("run_started", run.startDate, &json)
            json.field("version", run.version)
            json.key("start")
            date(run.startDate, &json)
            json.field("node", run.node)
            json.field("location", run.location)
            json.field("pue", run.powerUsageEffectiveness)
            json.object("configuration") { json in
                for name in run.configuration.keys.sorted() {
                    json.key(name)
                    json.string(run.configuration[name] ?? "")
                }
            }
            json.object("labels") { json in
                for label in run.labels {
                    json.key(label.name)
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
            json.numbers(series.coveredSeconds, perUnit: 1e6)
            json.array("components", series.components) { json, component in
                json.object { json in
                    json.field("component", component.kind.rawValue)
                    json.key("energy_j")
                    json.numbers(component.joules, perUnit: 1e6)
                }
            }
            json.key("intensity_g_per_kwh")
            json.numbers(series.gramsPerKilowattHour, perUnit: 1e6)
        case .runEnded(let end, let interrupted):
            header("run_ended", end, &json)
            json.field("interrupted", interrupted)
            json.field("epochs", epochs)
        }
        json.endObject()
        json.newline()
    }

    private mutating func header(_ event: StaticString, _ instant: Date, _ json: inout JSONWriter) {
        json.beginObject()
        json.field("schema", Self.schema)
        json.key("event")
        json.rawValue { bytes in
            bytes.append(UInt8(ascii: "\""))
            event.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\""))
        }
        json.key("time")
        date(instant, &json)
        json.field("run", runID)
    }

    private mutating func date(_ instant: Date, _ json: inout JSONWriter) {
        json.rawValue { time.appendQuoted(instant, to: &$0) }
    }

    private mutating func measured(_ measurement: WindowMeasurement, _ json: inout JSONWriter) {
        json.field("name", measurement.name)
        json.key("start")
        date(measurement.startDate, &json)
        json.key("end")
        date(measurement.endDate, &json)
        // Rounded to what the standard log and any reader can use (a microsecond, a microjoule, ...):
        // a full-precision double is 17 digits, and an epoch's line is written for every epoch.
        json.field("duration_seconds", LogNumber.rounded(measurement.durationSeconds, 1e6))
        json.field("energy_kwh", LogNumber.rounded(measurement.energyKilowattHours, 1e15))
        json.field("co2eq_grams", LogNumber.rounded(measurement.co2eqGrams, 1e12))
        json.field("intensity_g_per_kwh", LogNumber.rounded(measurement.gramsPerKilowattHour, 1e6))
        json.field("approximate", measurement.isApproximate)
        Self.components(measurement.components, rounded: true, &json)
    }

    private func consumption(_ report: ConsumptionReport, _ json: inout JSONWriter) {
        json.field("epochs", report.epochs)
        json.field("duration_seconds", report.durationSeconds)
        json.field("energy_kwh", report.energyKilowattHours)
        json.field("co2eq_grams", report.co2eqGrams)
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
                    json.numbers(component.joules, perUnit: 1e6)
                    json.key("average_power_watts")
                    json.numbers(component.averageWatts, perUnit: 1e6)
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
