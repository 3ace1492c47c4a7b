import CarbonTrackerSources
import Foundation

/// Opening and measuring windows, which happens once or twice per epoch: the arrays a window needs are
/// reused from windows that ended, and what a source says about itself is asked once per reading.
extension MeasureState {
    /// Windows kept for reuse at most: more than one is open only with nested windows.
    static let spareWindowLimit = 4

    /// Sets `window` up as window `id` starting at `time` (a reading at or after it has entered the
    /// curves), reusing its arrays: overwritten in place while the sources stay the same.
    static func start(
        _ window: inout OpenWindow, id: Int32, isEpoch: Bool, at time: Double, sources: [MeasuredSource],
        curves: [DeviceEnergyCurve]
    ) {
        window.id = id
        window.isEpoch = isEpoch
        window.startTime = time
        window.sourceCount = sources.count
        window.accountedJoules = 0
        window.gramsJoules = 0
        window.provisionalJoules = 0
        window.provisionalGramsJoules = 0
        window.gramsLowJoules = 0
        window.gramsHighJoules = 0
        window.provisionalGramsLowJoules = 0
        window.provisionalGramsHighJoules = 0
        if window.liveAtStart.count != sources.count || window.startJoules.count != curves.count
            || window.startTerms.count != curves.count
        {
            window.liveAtStart = Array(repeating: false, count: sources.count)
            window.startJoules = Array(repeating: 0, count: curves.count)
            window.startTerms = Array(
                repeating: SlotStart(squaredSeconds: 0, counterJoules: 0), count: curves.count)
        }
        for index in sources.indices {
            window.liveAtStart[index] = sources[index].isLive
            let first = sources[index].firstSlot
            for slot in first..<(first + sources[index].deviceCount) {
                let point = curves[slot].point(at: time)
                window.startJoules[slot] = point.joules
                window.startTerms[slot] = SlotStart(
                    squaredSeconds: point.squaredSeconds,
                    counterJoules: sources[index].counterJoules(curves[slot]))
            }
        }
    }

    /// Keeps an ended window's arrays for the next window.
    mutating func recycle(_ window: consuming OpenWindow) {
        guard spareWindows.count < Self.spareWindowLimit else { return }
        spareWindows.append(window)
    }

    /// `"epoch N"`, written without string interpolation (a small string for any `Int32`, so no allocation).
    static func epochName(_ epoch: Int32) -> String {
        guard epoch >= 0 else { return "epoch \(epoch)" }
        var digits = 1
        var rest = epoch / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let prefix: StaticString = "epoch "
        return String(unsafeUninitializedCapacity: prefix.utf8CodeUnitCount + digits) { buffer in
            var offset = 0
            prefix.withUTF8Buffer { bytes in
                for byte in bytes {
                    buffer[offset] = byte
                    offset += 1
                }
            }
            var value = epoch
            for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                buffer[position] = UInt8(truncatingIfNeeded: 48 + value % 10)
                value /= 10
            }
            return offset + digits
        }
    }

    /// Asks every source for its method, error model and attribution note, when it was read since.
    mutating func refreshSourceFacts() {
        guard sourceFactsStale else { return }
        sourceFactsStale = false
        for index in sources.indices {
            let component = sources[index].component
            sources[index].method = sources[index].isLive ? component.measurementMethod() : .incomplete
            sources[index].readErrorModel(component.errorModel())
            sources[index].attribution = component.attributionNote()
        }
    }

    /// What `window` used up to `end` (a reading at or after it has entered the curves).
    mutating func measure(
        _ window: OpenWindow, name: String, at end: Double, configuration: WindowAccounting
    ) -> WindowMeasurement {
        refreshSourceFacts()
        var endJoules: [Double] = []
        swap(&endJoules, &self.endJoules)
        defer { swap(&endJoules, &self.endJoules) }
        endJoules.removeAll(keepingCapacity: true)
        for slot in curves.indices { endJoules.append(curves[slot].joules(at: end)) }
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
            let first = sources[index].firstSlot
            let count = sources[index].deviceCount
            var joules: [Double]
            if count == 1 {
                // A one-element literal is allocated with its storage type known at compile time: the
                // cheapest array there is, and one device per source is the common case.
                let value = max(0, endJoules[first] - window.startJoules[first])
                joules = [value]
                total += value
            } else {
                // Reserved then appended to: `init(repeating:count:)` and `init(unsafeUninitializedCapacity:)`
                // take the library's unspecialized path, which looks the storage type up at each call.
                joules = []
                joules.reserveCapacity(count)
                for offset in 0..<count {
                    let value = max(0, endJoules[first + offset] - window.startJoules[first + offset])
                    joules.append(value)
                    total += value
                }
            }
            let range = joulesRange(of: index, joules: joules, window: window, end: end)
            totalLow += range.lowerBound
            totalHigh += range.upperBound
            // Average power is derived from the joules and the duration when read: one array, not two.
            components.append(
                ComponentEnergy(
                    kind: sources[index].kind, devices: sources[index].devices, method: sources[index].method,
                    joules: joules, seconds: duration, joulesRange: range))
            components[components.count - 1].attribution = sources[index].attribution
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
