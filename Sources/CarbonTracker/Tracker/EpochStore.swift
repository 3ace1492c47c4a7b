/// Every finished epoch's figures in a compact form: one contiguous array per field, so that memory
/// per epoch is a few dozen bytes however long the run (not an array of structs holding arrays).
///
/// Per epoch it keeps the duration, the CO2eq and its bounds, one energy per device, one method and the
/// energy's bounds per component. Bounds are kept in single precision, rounded outwards (a relative
/// 6e-8, far inside any band): 24 bytes an epoch less for a two-component run;
/// the component layout is kept once per stretch of epochs that share it. Running per-device totals
/// make the final report independent of the number of epochs.
struct EpochStore: Sendable {
    private struct Component: Equatable {
        var kind: ComponentKind
        var devices: [String]
    }

    /// A stretch of epochs with the same components (it changes only when a source is dropped).
    private struct Segment {
        var firstEpoch: Int
        var components: [Component]
        var deviceCount: Int
        var firstJoule: Int
        var firstMethod: Int
    }

    private(set) var durationsSeconds: [Double] = []
    private(set) var co2eqGrams: [Double] = []
    private var joules: [Double] = []
    private var methods: [UInt8] = []
    /// Each component's energy bounds per epoch, in joules without PUE (parallel to `methods`).
    private var joulesLow: [Float] = []
    private var joulesHigh: [Float] = []
    /// Each epoch's CO2eq bounds, with PUE.
    private var co2eqGramsLow: [Float] = []
    private var co2eqGramsHigh: [Float] = []
    private var segments: [Segment] = []
    /// For each component of the current segment, its index in `totals`.
    private var segmentTotals: [Int] = []
    /// Per component kind: the devices and the summed joules, over the epochs that measured them.
    private var totals: [(component: Component, joules: [Double], low: Double, high: Double)] = []
    private var lastComponents: [(kind: ComponentKind, method: MeasurementMethod)] = []
    private(set) var totalSeconds = 0.0
    private(set) var totalGrams = 0.0
    private(set) var totalJoules = 0.0
    /// The bounds of ``totalJoules`` (without PUE) and of ``totalGrams`` (with PUE).
    private(set) var totalJoulesRange = 0.0...0.0
    private(set) var totalGramsRange = 0.0...0.0
    /// Epochs with energy charged at a provisional intensity: few (those before the first answer).
    private var provisional:
        [(
            index: Int, kilowattHours: Double, grams: Double, gramsRange: ClosedRange<Double>,
            energyFactors: ClosedRange<Double>
        )] = []
    /// Energy, with PUE, still charged at a provisional intensity.
    var provisionalKilowattHours: Double { provisional.reduce(0) { $0 + $1.kilowattHours } }

    var count: Int { durationsSeconds.count }

    /// Appends a finished epoch. Allocates nothing unless the components changed.
    mutating func append(_ epoch: WindowMeasurement) {
        if !sameComponents(epoch.components) {
            let components = epoch.components.map { Component(kind: $0.kind, devices: $0.devices) }
            segments.append(
                Segment(
                    firstEpoch: count, components: components,
                    deviceCount: components.reduce(0) { $0 + $1.devices.count }, firstJoule: joules.count,
                    firstMethod: methods.count))
            segmentTotals = components.enumerated().map { position, component in
                if let index = totalIndex(kind: component.kind, devices: component.devices, near: position) {
                    return index
                }
                totals.append(
                    (component, Array(repeating: 0, count: component.devices.count), low: 0, high: 0))
                return totals.count - 1
            }
        }
        durationsSeconds.append(epoch.durationSeconds)
        if epoch.provisionalKilowattHours > 0 {
            let energy = epoch.energyKilowattHours
            let low = epoch.energyKilowattHoursRange.lowerBound
            let high = epoch.energyKilowattHoursRange.upperBound
            let factors = energy > 0 ? (low / energy)...(high / energy) : 1...1
            provisional.append(
                (
                    co2eqGrams.count, epoch.provisionalKilowattHours, epoch.provisionalGrams,
                    epoch.provisionalGramsRange, factors
                ))
        }
        co2eqGrams.append(epoch.co2eqGrams)
        co2eqGramsLow.append(Self.below(epoch.co2eqGramsRange.lowerBound))
        co2eqGramsHigh.append(Self.above(epoch.co2eqGramsRange.upperBound))
        totalSeconds += epoch.durationSeconds
        totalGrams += epoch.co2eqGrams
        totalGramsRange = Self.add(totalGramsRange, epoch.co2eqGramsRange)
        if lastComponents.count != epoch.components.count {
            lastComponents = epoch.components.map { ($0.kind, $0.method) }
        }
        // Fields are read in place, not by copying each component (its arrays and note), and each
        // component's joules once.
        for position in epoch.components.indices {
            let kind = epoch.components[position].kind
            let method = epoch.components[position].method
            let range = epoch.components[position].joulesRange
            methods.append(Self.code(of: method))
            joulesLow.append(Self.below(range.lowerBound))
            joulesHigh.append(Self.above(range.upperBound))
            lastComponents[position] = (kind, method)
            totalJoulesRange = Self.add(totalJoulesRange, range)
            let index = segmentTotals[position]
            epoch.components[position].joules.withUnsafeBufferPointer { values in
                joules.append(contentsOf: values)
                var sum = 0.0
                for value in values { sum += value }
                totalJoules += sum
                // A component's devices are its segment's, so its total has as many values.
                for device in values.indices where device < totals[index].joules.count {
                    totals[index].joules[device] += values[device]
                }
            }
            totals[index].low += range.lowerBound
            totals[index].high += range.upperBound
        }
    }

    /// The index in `totals` of `kind` with `devices`, looked for first at `position` (where it is
    /// unless components changed).
    private func totalIndex(kind: ComponentKind, devices: [String], near position: Int) -> Int? {
        if position < totals.count && totals[position].component.kind == kind
            && totals[position].component.devices == devices
        {
            return position
        }
        return totals.firstIndex { $0.component.kind == kind && $0.component.devices == devices }
    }

    /// A method's one-byte code in `methods`.
    private static func code(of method: MeasurementMethod) -> UInt8 {
        switch method {
        case .counter: 0
        case .sampled: 1
        case .estimated: 2
        case .simulated: 3
        case .incomplete: 4
        }
    }

    /// The method of a one-byte code in `methods`.
    private static func method(of code: UInt8) -> MeasurementMethod {
        switch code {
        case 0: .counter
        case 1: .sampled
        case 2: .estimated
        case 3: .simulated
        default: .incomplete
        }
    }

    /// Charges the energy used before the intensity settled at `gramsPerKilowattHour` (and its bounds at
    /// `range`) instead of the provisional value it was charged at.
    mutating func settle(gramsPerKilowattHour: Double, range: ClosedRange<Double>? = nil) {
        let range = range ?? gramsPerKilowattHour...gramsPerKilowattHour
        for part in provisional {
            let change = part.kilowattHours * gramsPerKilowattHour - part.grams
            co2eqGrams[part.index] += change
            totalGrams += change
            let lowChange =
                part.kilowattHours * part.energyFactors.lowerBound * range.lowerBound
                - part.gramsRange.lowerBound
            let highChange =
                part.kilowattHours * part.energyFactors.upperBound * range.upperBound
                - part.gramsRange.upperBound
            co2eqGramsLow[part.index] = Self.below(
                max(0, min(Double(co2eqGramsLow[part.index]) + lowChange, co2eqGrams[part.index])))
            co2eqGramsHigh[part.index] = Self.above(
                max(Double(co2eqGramsHigh[part.index]) + highChange, co2eqGrams[part.index]))
        }
        if !provisional.isEmpty {
            totalGramsRange = Self.sum(co2eqGramsLow[...])...Self.sum(co2eqGramsHigh[...])
        }
        provisional.removeAll()
    }

    /// The bounds of ``totalJoules`` with the PUE factor, in kilowatt-hours.
    func totalKilowattHoursRange(powerUsageEffectiveness: Double) -> ClosedRange<Double> {
        let scale = powerUsageEffectiveness / 3_600_000
        return (totalJoulesRange.lowerBound * scale)...(totalJoulesRange.upperBound * scale)
    }

    /// Epoch `index`'s (0-based) energy bounds in kilowatt-hours with the PUE factor.
    func kilowattHoursRange(_ index: Int, powerUsageEffectiveness: Double) -> ClosedRange<Double> {
        let segment = self.segment(of: index)
        let start = segment.firstMethod + (index - segment.firstEpoch) * segment.components.count
        let range = start..<(start + segment.components.count)
        let scale = powerUsageEffectiveness / 3_600_000
        return (Self.sum(joulesLow[range]) * scale)...(Self.sum(joulesHigh[range]) * scale)
    }

    /// The single-precision value at or below `value`.
    private static func below(_ value: Double) -> Float {
        let rounded = Float(value)
        return Double(rounded) > value ? rounded.nextDown : rounded
    }

    /// The single-precision value at or above `value`.
    private static func above(_ value: Double) -> Float {
        let rounded = Float(value)
        return Double(rounded) < value ? rounded.nextUp : rounded
    }

    /// The sum of `values` in double precision.
    private static func sum(_ values: ArraySlice<Float>) -> Double {
        var total = 0.0
        for value in values { total += Double(value) }
        return total
    }

    private static func add(_ a: ClosedRange<Double>, _ b: ClosedRange<Double>) -> ClosedRange<Double> {
        (a.lowerBound + b.lowerBound)...(a.upperBound + b.upperBound)
    }

    /// Whether `components` are those of the current segment (same kinds and devices, in order).
    private func sameComponents(_ components: [ComponentEnergy]) -> Bool {
        guard let last = segments.indices.last, segments[last].components.count == components.count else {
            return false
        }
        for index in components.indices
        where segments[last].components[index].kind != components[index].kind
            || segments[last].components[index].devices != components[index].devices
        {
            return false
        }
        return true
    }

    /// Energy of epoch `index` (0-based) in kilowatt-hours with the PUE factor.
    func kilowattHours(_ index: Int, powerUsageEffectiveness: Double) -> Double {
        let segment = self.segment(of: index)
        let start = segment.firstJoule + (index - segment.firstEpoch) * segment.deviceCount
        return joules[start..<(start + segment.deviceCount)].reduce(0, +) * powerUsageEffectiveness
            / 3_600_000
    }

    /// Epoch `index` (0-based) as the public value.
    func measurement(_ index: Int, powerUsageEffectiveness: Double) -> EpochMeasurement {
        let segment = self.segment(of: index)
        var joule = segment.firstJoule + (index - segment.firstEpoch) * segment.deviceCount
        var method = segment.firstMethod + (index - segment.firstEpoch) * segment.components.count
        let duration = durationsSeconds[index]
        let components = segment.components.map { component -> ComponentEnergy in
            let values = Array(joules[joule..<(joule + component.devices.count)])
            joule += component.devices.count
            defer { method += 1 }
            return ComponentEnergy(
                kind: component.kind, devices: component.devices,
                method: Self.method(of: methods[method]), joules: values, seconds: duration,
                joulesRange: Double(joulesLow[method])...Double(joulesHigh[method]))
        }
        return EpochMeasurement(
            epoch: index + 1, durationSeconds: duration, components: components,
            co2eqGrams: co2eqGrams[index],
            powerUsageEffectiveness: powerUsageEffectiveness,
            co2eqGramsRange: Double(co2eqGramsLow[index])...Double(co2eqGramsHigh[index]))
    }

    /// Per-component energy over all epochs: the components the last epoch measured, then any that
    /// stopped being measured before it (a device lost mid-run), whose energy is kept and marked
    /// `incomplete` rather than left out.
    func componentTotals() -> [ComponentEnergy] {
        func energy(_ kind: ComponentKind, _ method: MeasurementMethod) -> ComponentEnergy? {
            guard let total = totals.last(where: { $0.component.kind == kind }) else { return nil }
            return ComponentEnergy(
                kind: kind, devices: total.component.devices, method: method, joules: total.joules,
                seconds: totalSeconds, joulesRange: total.low...max(total.low, total.high))
        }
        var result = lastComponents.compactMap { energy($0.kind, $0.method) }
        for total in totals where !result.contains(where: { $0.kind == total.component.kind }) {
            if let lost = energy(total.component.kind, .incomplete) { result.append(lost) }
        }
        return result
    }

    private func segment(of index: Int) -> Segment {
        // Segments are few (one per change of components): a linear search from the end is enough.
        segments.last { $0.firstEpoch <= index }!
    }
}
