import CarbonTrackerSources
import Foundation

/// A window boundary or command, stamped on the monotonic clock by the thread that made it and
/// resolved against readings later. Sixteen bytes, so a burst of short epochs queues compactly.
struct WindowRequest {
    enum Kind: UInt8 {
        /// A window opens at `time`.
        case begin
        /// A window closes at `time`; its energy is interpolated at the next reading (epochs).
        case end
        /// A window is dropped without a measurement.
        case cancel
        /// Monitoring stops: open windows are dropped.
        case stop
    }

    var time: Double
    /// The window's number: user windows count up from 1, epochs have their epoch number.
    var id: Int32
    var kind: Kind
    /// Whether the window is a tracker's epoch (ids of epochs and user windows are separate series).
    var isEpoch: Bool
}

/// A power source in use, with its devices' slots in the monitor's flat per-device arrays.
struct MeasuredSource {
    let component: any PowerComponent
    let devices: [String]
    /// The component's handler name, read once.
    let name: String
    /// Index of the first device in the flat arrays.
    let firstSlot: Int
    /// The component's kind and device count, read once, so per-reading loops copy no source.
    let kind: ComponentKind
    let deviceCount: Int
    /// False once the source was dropped mid-run (permission lost, device gone): its energy stays where it
    /// was, and the windows that were open then report it with the method `incomplete`.
    var isLive = true
    /// The source's counter step (joules) and update period (seconds), from its error model as last read:
    /// the uncertainty of a reading at a window's ends.
    var counterResolutionJoules = 0.0
    var counterUpdateSeconds = 0.0

    var slots: Range<Int> { firstSlot..<(firstSlot + deviceCount) }
}

/// A window that has begun and not ended.
struct OpenWindow {
    var id: Int32
    var isEpoch: Bool
    var startTime: Double
    /// Cumulative joules of each measured slot at the start (the window measures `startJoules.count`
    /// slots: sources added later are not part of it).
    var startJoules: [Double]
    /// Which sources were live at the start.
    var sourceCount: Int
    var liveAtStart: [Bool]
    /// Joules of the window already multiplied by an intensity.
    var accountedJoules = 0.0
    /// Σ joules × gCO2eq/kWh so far, without PUE.
    var gramsJoules = 0.0
    /// Joules accounted at a provisional intensity, and their part of `gramsJoules`: charged again
    /// when the intensity settles.
    var provisionalJoules = 0.0
    var provisionalGramsJoules = 0.0
    /// Each measured slot's Σ Δt² and counter uncertainty at the start, for the energy's bounds.
    var startTerms: [SlotStart] = []
    /// Σ joules × the intensity's low and high bounds so far, without PUE, and their provisional parts.
    var gramsLowJoules = 0.0
    var gramsHighJoules = 0.0
    var provisionalGramsLowJoules = 0.0
    var provisionalGramsHighJoules = 0.0
}

/// A window that ended with a measurement, waiting for the sampling thread to log and report it.
package struct FinishedWindow: Sendable {
    /// What the window used.
    package var measurement: WindowMeasurement
    /// The epoch number for a tracker's epoch, `nil` for a named window.
    package var epoch: Int?
}

/// What the monitor knows about energy: each device's energy curve and the open windows.
///
/// Guarded by the monitor's measurement lock, which is held while sources are read, so readings
/// enter the curves in time order whichever thread took them.
package struct MeasureState {
    var sources: [MeasuredSource] = []
    var curves: [DeviceEnergyCurve] = []
    var open: [OpenWindow] = []
    var finished: [FinishedWindow] = []
    /// The request buffer swapped with the queue's at each drain, so neither reallocates.
    var spare: [WindowRequest] = []
    /// Scratch space for one source's readings, reused so a sample allocates nothing.
    var readings: [DeviceReading] = []
    var gramsPerKilowattHour = IntensityEstimate.worldAverage.gramsPerKilowattHour
    var gramsPerKilowattHourRange = IntensityEstimate.worldAverage.gramsPerKilowattHourRange
    /// Whether `gramsPerKilowattHour` stands in until the intensity source's first answer.
    var intensityIsProvisional = false
    var stopRequested = false
    var lastReadingTime = -Double.infinity

    /// Adds a source's devices to the flat arrays.
    mutating func add(_ component: any PowerComponent) {
        let devices = component.devices()
        var source = MeasuredSource(
            component: component, devices: devices, name: component.handlerName, firstSlot: curves.count,
            kind: component.kind, deviceCount: devices.count)
        source.readErrorModel()
        sources.append(source)
        curves.append(contentsOf: repeatElement(DeviceEnergyCurve(), count: devices.count))
    }

    /// Cumulative joules of every slot at `time`.
    func joules(at time: Double) -> [Double] {
        curves.map { $0.joules(at: time) }
    }

    /// Applies drained requests, in order, against curves that hold a reading at or after each one.
    mutating func apply(_ requests: [WindowRequest], configuration: WindowAccounting) {
        for request in requests {
            switch request.kind {
            case .begin:
                guard !stopRequested else { continue }
                open.append(
                    OpenWindow(
                        id: request.id, isEpoch: request.isEpoch, startTime: request.time,
                        startJoules: joules(at: request.time),
                        sourceCount: sources.count, liveAtStart: sources.map(\.isLive),
                        startTerms: startTerms(at: request.time)))
            case .end:
                guard
                    let index = open.firstIndex(where: {
                        $0.id == request.id && $0.isEpoch == request.isEpoch
                    })
                else { continue }
                let window = open.remove(at: index)
                let epoch = request.isEpoch ? Int(request.id) : nil
                let measurement = measure(
                    window, name: epoch.map { "epoch \($0)" } ?? "window \(request.id)",
                    at: request.time, configuration: configuration)
                finished.append(FinishedWindow(measurement: measurement, epoch: epoch))
            case .cancel:
                open.removeAll { $0.id == request.id && $0.isEpoch == request.isEpoch }
            case .stop:
                stopRequested = true
                open.removeAll()
            }
        }
    }

    /// Puts `value` in force. When it is the first settled value, the open windows' energy accounted
    /// at the provisional value is charged at it instead (windows that already finished are re-priced
    /// by the layer above, from their ``WindowMeasurement/provisionalKilowattHours``).
    mutating func setIntensity(_ value: IntensityInForce) {
        if intensityIsProvisional && !value.isProvisional {
            let range = value.gramsPerKilowattHourRange
            for index in open.indices {
                let window = open[index]
                open[index].gramsJoules +=
                    window.provisionalJoules * value.gramsPerKilowattHour - window.provisionalGramsJoules
                open[index].gramsLowJoules +=
                    window.provisionalJoules * range.lowerBound - window.provisionalGramsLowJoules
                open[index].gramsHighJoules +=
                    window.provisionalJoules * range.upperBound - window.provisionalGramsHighJoules
                open[index].provisionalJoules = 0
                open[index].provisionalGramsJoules = 0
                open[index].provisionalGramsLowJoules = 0
                open[index].provisionalGramsHighJoules = 0
            }
        }
        gramsPerKilowattHour = value.gramsPerKilowattHour
        gramsPerKilowattHourRange = value.gramsPerKilowattHourRange
        intensityIsProvisional = value.isProvisional
    }

    /// Multiplies the energy each open window used since it was last accounted by the intensity in
    /// force, so CO2eq is weighted by energy as intensity changes.
    mutating func account(upTo time: Double) {
        for index in open.indices {
            var used = 0.0
            for slot in open[index].startJoules.indices {
                used += curves[slot].joules(at: time) - open[index].startJoules[slot]
            }
            let added = used - open[index].accountedJoules
            open[index].gramsJoules += added * gramsPerKilowattHour
            open[index].gramsLowJoules += added * gramsPerKilowattHourRange.lowerBound
            open[index].gramsHighJoules += added * gramsPerKilowattHourRange.upperBound
            if intensityIsProvisional {
                open[index].provisionalJoules += added
                open[index].provisionalGramsJoules += added * gramsPerKilowattHour
                open[index].provisionalGramsLowJoules += added * gramsPerKilowattHourRange.lowerBound
                open[index].provisionalGramsHighJoules += added * gramsPerKilowattHourRange.upperBound
            }
            open[index].accountedJoules = used
        }
    }

    /// Ends the window with `id` at `time` (which has a reading at or after it) and returns its measurement.
    mutating func finish(_ id: Int32, name: String, at time: Double, configuration: WindowAccounting)
        -> WindowMeasurement?
    {
        guard let index = open.firstIndex(where: { $0.id == id && !$0.isEpoch }) else { return nil }
        return measure(open.remove(at: index), name: name, at: time, configuration: configuration)
    }

    private mutating func measure(
        _ window: OpenWindow, name: String, at end: Double, configuration: WindowAccounting
    ) -> WindowMeasurement {
        let endJoules = joules(at: end)
        let used = Self.total(endJoules, minus: window.startJoules)
        let added = used - window.accountedJoules
        let gramsJoules = window.gramsJoules + added * gramsPerKilowattHour
        let gramsLowJoules = window.gramsLowJoules + added * gramsPerKilowattHourRange.lowerBound
        let gramsHighJoules = window.gramsHighJoules + added * gramsPerKilowattHourRange.upperBound
        let provisionalJoules = window.provisionalJoules + (intensityIsProvisional ? added : 0)
        let provisionalGramsJoules =
            window.provisionalGramsJoules + (intensityIsProvisional ? added * gramsPerKilowattHour : 0)
        let duration = max(0, end - window.startTime)
        var components: [ComponentEnergy] = []
        components.reserveCapacity(window.sourceCount)
        var total = 0.0
        var totalLow = 0.0
        var totalHigh = 0.0
        for index in 0..<window.sourceCount where window.liveAtStart[index] {
            let source = sources[index]
            var joules: [Double] = []
            var watts: [Double] = []
            joules.reserveCapacity(source.devices.count)
            watts.reserveCapacity(source.devices.count)
            for slot in source.slots {
                let value = max(0, endJoules[slot] - window.startJoules[slot])
                joules.append(value)
                watts.append(duration > 0 ? value / duration : 0)
                total += value
            }
            let method = source.isLive ? source.component.measurementMethod() : .incomplete
            let model = source.component.errorModel()
            sources[index].readErrorModel(model)
            var component = ComponentEnergy(
                kind: source.component.kind, devices: source.devices, method: method, joules: joules,
                averageWatts: watts)
            component.joulesRange = joulesRange(
                of: sources[index], joules: joules, window: window, end: end, method: method, model: model)
            totalLow += component.joulesRange.lowerBound
            totalHigh += component.joulesRange.upperBound
            component.attribution = source.component.attributionNote()
            components.append(component)
        }
        let pue = configuration.powerUsageEffectiveness
        let kilowattHours = total * pue / 3_600_000
        let grams = max(0, gramsJoules) / 3_600_000 * pue
        var measurement = WindowMeasurement(
            name: name, startDate: configuration.wallDate(window.startTime),
            endDate: configuration.wallDate(end),
            durationSeconds: duration, components: components, energyKilowattHours: kilowattHours,
            co2eqGrams: grams,
            gramsPerKilowattHour: used > 0 ? gramsJoules / used : gramsPerKilowattHour,
            isApproximate: duration < configuration.updatePeriodSeconds)
        // Energy-weighted bounds of the intensity over the window, applied to the energy's bounds.
        let intensityLow = used > 0 ? max(0, gramsLowJoules) / used : gramsPerKilowattHourRange.lowerBound
        let intensityHigh = used > 0 ? max(0, gramsHighJoules) / used : gramsPerKilowattHourRange.upperBound
        measurement.energyKilowattHoursRange = Self.bounds(
            totalLow * pue / 3_600_000, totalHigh * pue / 3_600_000, around: kilowattHours)
        measurement.co2eqGramsRange = Self.bounds(
            totalLow * intensityLow * pue / 3_600_000, totalHigh * intensityHigh * pue / 3_600_000,
            around: grams)
        if provisionalJoules > 0 {
            measurement.provisionalKilowattHours = provisionalJoules * pue / 3_600_000
            measurement.provisionalGrams = max(0, provisionalGramsJoules) / 3_600_000 * pue
            let provisionalLow =
                window.provisionalGramsLowJoules
                + (intensityIsProvisional ? added * gramsPerKilowattHourRange.lowerBound : 0)
            let provisionalHigh =
                window.provisionalGramsHighJoules
                + (intensityIsProvisional ? added * gramsPerKilowattHourRange.upperBound : 0)
            measurement.provisionalGramsRange = Self.bounds(
                used > 0 ? totalLow / used * max(0, provisionalLow) * pue / 3_600_000 : 0,
                used > 0 ? totalHigh / used * max(0, provisionalHigh) * pue / 3_600_000 : 0,
                around: measurement.provisionalGrams)
        }
        return measurement
    }

    /// Σ (now − start) over the slots the window measures.
    static func total(_ now: [Double], minus start: [Double]) -> Double {
        var sum = 0.0
        for index in start.indices { sum += now[index] - start[index] }
        return sum
    }
}

/// What turning energy into a ``WindowMeasurement`` needs beyond the readings.
package struct WindowAccounting: Sendable {
    package var powerUsageEffectiveness: Double
    /// The shortest period in which every source has a fresh reading, in seconds.
    var updatePeriodSeconds: Double
    /// The wall-clock time and monotonic time of one instant, to date monotonic stamps.
    var wallOrigin: Double
    var monotonicOrigin: Double

    func wallDate(_ monotonic: Double) -> Date {
        Date(timeIntervalSince1970: wallOrigin + (monotonic - monotonicOrigin))
    }
}
