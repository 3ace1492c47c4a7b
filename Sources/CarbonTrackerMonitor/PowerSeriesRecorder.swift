import CarbonTrackerSources
import Foundation

/// A run's power over time: energy per component kind and the carbon intensity, in equal intervals
/// from the first reading, in at most ``capacity`` intervals however long the run.
///
/// The energy between two readings is spread over the time between them, in proportion to each
/// interval's share; when the run outgrows the intervals, neighbours merge in pairs and the width
/// doubles, so the energy of the run is conserved to rounding and memory never grows. Cost per
/// reading: a sum over the devices and one or two interval updates, no allocation (the storage is
/// allocated once, at the first reading).
package struct PowerSeriesRecorder: Sendable {
    /// Intervals kept at most (even, so pairs merge).
    package let capacity: Int
    /// The first interval's width, in seconds.
    private let initialWidth: Double
    /// Kinds in ``ComponentKind/allCases`` order, then intensity × seconds, then covered seconds.
    private static let kinds = ComponentKind.allCases
    private static let stride = kinds.count + 2

    private var storage: [Double] = []
    private var totals: [Double] = []
    /// Scratch space for one reading's totals per kind, reused so a reading allocates nothing.
    private var kindTotals: [Double] = []
    private var origin: Double?
    private var lastTime = 0.0
    private(set) var width: Double
    /// Intervals in use (the last holds the latest reading).
    private var used = 0
    /// Whether each kind has had a source, in ``ComponentKind/allCases`` order.
    private var measuredKinds: [Bool] = []

    /// - Parameters:
    ///   - capacity: Intervals kept at most (rounded up to an even number, at least 2).
    ///   - initialWidthSeconds: The first width; the sampling period is a good one.
    package init(capacity: Int = 2048, initialWidthSeconds: Double) {
        self.capacity = max(2, capacity + capacity % 2)
        self.initialWidth = initialWidthSeconds > 0 ? initialWidthSeconds : 1
        self.width = self.initialWidth
    }

    /// Adds a reading of every source at `time`: the energy since the previous reading goes into the
    /// intervals between them, with the intensity in force.
    mutating func record(
        at time: Double, gramsPerKilowattHour: Double, sources: [MeasuredSource], curves: [DeviceEnergyCurve]
    ) {
        if storage.isEmpty {
            storage = [Double](repeating: 0, count: capacity * Self.stride)
            totals = [Double](repeating: 0, count: Self.kinds.count)
            kindTotals = totals
            measuredKinds = [Bool](repeating: false, count: Self.kinds.count)
        }
        let start = origin == nil ? time : lastTime
        let end = max(time, start)
        if origin == nil { origin = time }
        while end > origin! + Double(capacity) * width { mergePairs() }
        // Fields are read in place (no source is copied): this runs at every reading, also on the thread
        // that closes a window.
        for kindIndex in Self.kinds.indices { kindTotals[kindIndex] = 0 }
        for index in sources.indices {
            guard let kindIndex = Self.kinds.firstIndex(of: sources[index].kind) else { continue }
            measuredKinds[kindIndex] = true
            let first = sources[index].firstSlot
            for slot in first..<(first + sources[index].deviceCount) {
                kindTotals[kindIndex] += curves[slot].latest?.joules ?? 0
            }
        }
        for kindIndex in Self.kinds.indices {
            add(max(0, kindTotals[kindIndex] - totals[kindIndex]), channel: kindIndex, from: start, to: end)
            totals[kindIndex] = kindTotals[kindIndex]
        }
        if end > start {
            add(gramsPerKilowattHour * (end - start), channel: Self.kinds.count, from: start, to: end)
            add(end - start, channel: Self.kinds.count + 1, from: start, to: end)
        }
        lastTime = end
    }

    /// Adds `amount` spread evenly over `start...end` (all of it at `end` when they are equal).
    private mutating func add(_ amount: Double, channel: Int, from start: Double, to end: Double) {
        guard amount != 0, let origin else { return }
        let last = min(capacity - 1, Int((end - origin) / width))
        guard end > start else {
            storage[last * Self.stride + channel] += amount
            used = max(used, last + 1)
            return
        }
        var index = max(0, min(last, Int((start - origin) / width)))
        while index <= last {
            let low = max(start, origin + Double(index) * width)
            let high = index == last ? end : min(end, origin + Double(index + 1) * width)
            if high > low { storage[index * Self.stride + channel] += amount * (high - low) / (end - start) }
            index += 1
        }
        used = max(used, last + 1)
    }

    private mutating func mergePairs() {
        let half = capacity / 2
        for index in 0..<half {
            for channel in 0..<Self.stride {
                storage[index * Self.stride + channel] =
                    storage[2 * index * Self.stride + channel]
                    + storage[(2 * index + 1) * Self.stride + channel]
            }
        }
        for offset in (half * Self.stride)..<(capacity * Self.stride) { storage[offset] = 0 }
        used = (used + 1) / 2
        width *= 2
    }

    /// The series so far, with wall-clock dates from `accounting`; `nil` before the first reading.
    package func series(_ accounting: WindowAccounting) -> PowerTimeSeries? {
        guard let origin else { return nil }
        let count = max(used, 1)
        var components: [PowerTimeSeries.Component] = []
        for (kindIndex, kind) in Self.kinds.enumerated() where measuredKinds[kindIndex] {
            components.append(
                PowerTimeSeries.Component(
                    kind: kind, joules: (0..<count).map { storage[$0 * Self.stride + kindIndex] }))
        }
        let intensity = (0..<count).map { index -> Double in
            let seconds = storage[index * Self.stride + Self.kinds.count + 1]
            return seconds > 0 ? storage[index * Self.stride + Self.kinds.count] / seconds : 0
        }
        return PowerTimeSeries(
            startDate: accounting.wallDate(origin), intervalSeconds: width,
            coveredSeconds: (0..<count).map { storage[$0 * Self.stride + Self.kinds.count + 1] },
            components: components, gramsPerKilowattHour: intensity)
    }
}

/// A run's power over time, per component kind, and the carbon intensity, in equal intervals.
///
/// ```swift
/// if let series = monitor.powerSeries {
///     for component in series.components {
///         print(component.kind, component.averageWatts(series))   // one value per interval
///     }
/// }
/// ```
///
/// The number of intervals is bounded (a few thousand): as a run grows, neighbouring intervals merge
/// and ``intervalSeconds`` doubles, so a week-long run is as small as a minute-long one and the sum of
/// the intervals' energy is the run's energy. Energy is without PUE, as in the epoch lines.
public struct PowerTimeSeries: Sendable, Equatable {
    /// One component kind's energy per interval.
    public struct Component: Sendable, Equatable {
        /// The component kind.
        public var kind: ComponentKind
        /// Joules used in each interval, summed over the kind's devices.
        public var joules: [Double]

        /// Creates a component's series.
        /// - Parameters:
        ///   - kind: The component kind.
        ///   - joules: Joules per interval.
        public init(kind: ComponentKind, joules: [Double]) {
            self.kind = kind
            self.joules = joules
        }

        /// Average watts in each interval of `series` (its joules over the interval's covered seconds).
        /// - Parameter series: The series this component belongs to.
        /// - Returns: One value per interval; 0 where no time is covered.
        public func averageWatts(_ series: PowerTimeSeries) -> [Double] {
            zip(joules, series.coveredSeconds).map { $1 > 0 ? $0 / $1 : 0 }
        }
    }

    /// When the first interval starts (the run's first reading).
    public var startDate: Date
    /// Each interval's width in seconds.
    public var intervalSeconds: Double
    /// Seconds of each interval with readings (the last interval is usually partial).
    public var coveredSeconds: [Double]
    /// The component kinds measured, GPU before CPU.
    public var components: [Component]
    /// The carbon intensity in force in each interval, averaged over time, in gCO2eq/kWh (0 where no
    /// time is covered).
    public var gramsPerKilowattHour: [Double]

    /// Creates a series.
    /// - Parameters:
    ///   - startDate: When the first interval starts.
    ///   - intervalSeconds: Each interval's width.
    ///   - coveredSeconds: Seconds with readings per interval.
    ///   - components: Energy per kind per interval.
    ///   - gramsPerKilowattHour: Intensity per interval.
    public init(
        startDate: Date, intervalSeconds: Double, coveredSeconds: [Double], components: [Component],
        gramsPerKilowattHour: [Double]
    ) {
        self.startDate = startDate
        self.intervalSeconds = intervalSeconds
        self.coveredSeconds = coveredSeconds
        self.components = components
        self.gramsPerKilowattHour = gramsPerKilowattHour
    }

    /// The number of intervals.
    public var count: Int { coveredSeconds.count }
    /// The energy of every interval and component, in joules (without PUE).
    public var totalJoules: Double { components.reduce(0) { $0 + $1.joules.reduce(0, +) } }
}
