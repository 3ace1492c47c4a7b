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
    /// The rest of the error model, the method and the attribution note as of the last reading: they
    /// change only when the source is read, so they are asked for once per reading that ends a window.
    var estimateRelativeError = 0.0
    var attributionFactors: ClosedRange<Double> = 1...1
    var method = MeasurementMethod.incomplete
    var attribution: String?

    var slots: Range<Int> { firstSlot..<(firstSlot + deviceCount) }
}

/// A window that has begun and not ended.
struct OpenWindow {
    var id: Int32 = 0
    var isEpoch = false
    var startTime = 0.0
    /// Cumulative joules of each measured slot at the start (the window measures `startJoules.count`
    /// slots: sources added later are not part of it).
    var startJoules: [Double] = []
    /// Which sources were live at the start.
    var sourceCount = 0
    var liveAtStart: [Bool] = []
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
    /// Whether the sources were read since their method, error model and note were last asked for.
    var sourceFactsStale = true
    /// Windows that ended, kept for their arrays, which the next windows reuse (a few at most).
    var spareWindows: [OpenWindow] = []
    /// Scratch space for the slots' joules at a window's end.
    var endJoules: [Double] = []

    /// Adds a source's devices to the flat arrays.
    mutating func add(_ component: any PowerComponent) {
        let devices = component.devices()
        var source = MeasuredSource(
            component: component, devices: devices, name: component.handlerName, firstSlot: curves.count,
            kind: component.kind, deviceCount: devices.count)
        source.readErrorModel()
        sources.append(source)
        sourceFactsStale = true
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
                open.append(spareWindows.popLast() ?? OpenWindow())
                Self.start(
                    &open[open.count - 1], id: request.id, isEpoch: request.isEpoch, at: request.time,
                    sources: sources, curves: curves)
            case .end:
                guard
                    let index = open.firstIndex(where: {
                        $0.id == request.id && $0.isEpoch == request.isEpoch
                    })
                else { continue }
                let window = open.remove(at: index)
                let epoch = request.isEpoch ? Int(request.id) : nil
                let measurement = measure(
                    window, name: request.isEpoch ? Self.epochName(request.id) : "window \(request.id)",
                    at: request.time, configuration: configuration)
                recycle(window)
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
        let window = open.remove(at: index)
        let measurement = measure(window, name: name, at: time, configuration: configuration)
        recycle(window)
        return measurement
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
