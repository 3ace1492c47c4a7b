import CarbonTrackerSources
import Foundation

/// What one measurement window (or epoch) used: energy per device, duration, CO2-equivalent.
///
/// ```swift
/// let m = try monitor.endWindow("eval")
/// print(m.durationSeconds, m.energyKilowattHours, m.co2eqGrams)
/// ```
///
/// Each window gets the whole energy of the measured devices over its own interval: windows that
/// overlap each count the shared time in full (no apportioning).
public struct WindowMeasurement: Sendable, Equatable {
    /// The window's name as given to `beginWindow`; `"epoch N"` for a tracker's epochs.
    public var name: String
    /// Wall-clock time the window began.
    public var startDate: Date
    /// Wall-clock time the window ended.
    public var endDate: Date
    /// Duration on the monotonic clock, in seconds (unaffected by wall-clock changes).
    public var durationSeconds: Double
    /// Per-component energy over the window, without the PUE factor.
    public var components: [ComponentEnergy]
    /// All components' energy in kilowatt-hours, with the PUE factor.
    public var energyKilowattHours: Double
    /// Grams of CO2-equivalent, with the PUE factor (energy × the intensity in force as it was used).
    public var co2eqGrams: Double
    /// The intensity the CO2eq corresponds to, in gCO2eq/kWh (energy-weighted over the window).
    public var gramsPerKilowattHour: Double
    /// Whether the window is shorter than a source's update period, so that its energy comes from
    /// interpolation between readings rather than from readings inside the window.
    public var isApproximate: Bool
    /// The part of ``energyKilowattHours`` that was used before the intensity source's first answer and
    /// charged at a provisional value (0 when none): the tracker charges it again at the settled value.
    public var provisionalKilowattHours = 0.0
    /// The part of ``co2eqGrams`` that comes from ``provisionalKilowattHours``, at the provisional value.
    public var provisionalGrams = 0.0
    /// Low and high bounds of ``energyKilowattHours`` (with the PUE factor), from how each component
    /// was measured; the bounds equal the value when nothing widens them.
    public var energyKilowattHoursRange: ClosedRange<Double>
    /// Low and high bounds of ``co2eqGrams``: the energy range combined with the intensity's.
    public var co2eqGramsRange: ClosedRange<Double>
    /// The part of ``co2eqGramsRange``'s bounds that comes from ``provisionalKilowattHours``, at the
    /// provisional value's bounds: the tracker charges it again at the settled value's.
    package var provisionalGramsRange: ClosedRange<Double> = 0...0

    /// Creates a measurement.
    /// - Parameters:
    ///   - name: The window's name.
    ///   - startDate: Wall-clock start.
    ///   - endDate: Wall-clock end.
    ///   - durationSeconds: Monotonic duration in seconds.
    ///   - components: Per-component energy, without PUE.
    ///   - energyKilowattHours: Total energy with PUE, in kWh.
    ///   - co2eqGrams: CO2-equivalent with PUE, in grams.
    ///   - gramsPerKilowattHour: The energy-weighted intensity, in gCO2eq/kWh.
    ///   - isApproximate: Whether the window is shorter than a source's update period.
    public init(
        name: String, startDate: Date, endDate: Date, durationSeconds: Double, components: [ComponentEnergy],
        energyKilowattHours: Double, co2eqGrams: Double, gramsPerKilowattHour: Double, isApproximate: Bool
    ) {
        self.name = name
        self.startDate = startDate
        self.endDate = endDate
        self.durationSeconds = durationSeconds
        self.components = components
        self.energyKilowattHours = energyKilowattHours
        self.co2eqGrams = co2eqGrams
        self.gramsPerKilowattHour = gramsPerKilowattHour
        self.isApproximate = isApproximate
        self.energyKilowattHoursRange = energyKilowattHours...energyKilowattHours
        self.co2eqGramsRange = co2eqGrams...co2eqGrams
    }
}

/// One component's share of an epoch or a run.
public struct ComponentEnergy: Sendable, Equatable {
    /// CPU or GPU.
    public var kind: ComponentKind
    /// Device names, in the order of the per-device values.
    public var devices: [String]
    /// How the figures were obtained.
    public var method: MeasurementMethod
    /// Energy per device in joules, without the PUE factor.
    public var joules: [Double] {
        // Power derived from the earlier joules stays what it was, as if it had been stored.
        didSet {
            if !wattsAreGiven {
                givenWatts = Self.watts(oldValue, over: wattsSeconds)
                wattsAreGiven = true
            }
        }
    }
    /// Average power per device in watts over the measured time.
    public var averageWatts: [Double] {
        get { wattsAreGiven ? givenWatts : Self.watts(joules, over: wattsSeconds) }
        set {
            givenWatts = newValue
            wattsAreGiven = true
        }
    }
    /// The scope and shares when the figures are the tracked work's share of shared devices
    /// (`scope: job 4242, 8 of 64 CPUs, 11% of busy CPU time`); `nil` for whole devices.
    public var attribution: String? = nil
    /// Low and high bounds of the component's energy over all its devices, in joules, without the PUE
    /// factor; both equal the sum of ``joules`` when nothing widens them.
    public var joulesRange: ClosedRange<Double>
    /// Power as given, or (empty, `false`) when it is each device's joules over ``wattsSeconds``: a
    /// measured epoch then allocates one array per component, not two. Visible to the package so that
    /// the accessors below inline into the log writers without copying the component.
    @usableFromInline package var givenWatts: [Double] = []
    @usableFromInline package var wattsAreGiven = false
    @usableFromInline package var wattsSeconds = 0.0

    /// Creates a component's share.
    /// - Parameters:
    ///   - kind: CPU or GPU.
    ///   - devices: Device names.
    ///   - method: How the figures were obtained.
    ///   - joules: Energy per device in joules, without PUE.
    ///   - averageWatts: Average power per device in watts.
    public init(
        kind: ComponentKind, devices: [String], method: MeasurementMethod, joules: [Double],
        averageWatts: [Double]
    ) {
        self.init(kind: kind, devices: devices, method: method, joules: joules, seconds: 0)
        givenWatts = averageWatts
        wattsAreGiven = true
    }

    /// Creates a component's share whose average power is each device's joules over `seconds` (0 W
    /// when `seconds` is not positive); `joulesRange` defaults to the sum of `joules`.
    package init(
        kind: ComponentKind, devices: [String], method: MeasurementMethod, joules: [Double], seconds: Double,
        joulesRange: ClosedRange<Double>? = nil
    ) {
        self.kind = kind
        self.devices = devices
        self.method = method
        self.joules = joules
        self.wattsSeconds = seconds
        if let joulesRange {
            self.joulesRange = joulesRange
        } else {
            var total = 0.0
            for value in joules { total += value }
            self.joulesRange = total...total
        }
    }

    /// How many values ``averageWatts`` has, without making the array.
    @inlinable package var averageWattsCount: Int { wattsAreGiven ? givenWatts.count : joules.count }

    /// ``averageWatts``[`index`], without making the array.
    @inlinable package func averageWatt(at index: Int) -> Double {
        if wattsAreGiven { return givenWatts[index] }
        return wattsSeconds > 0 ? joules[index] / wattsSeconds : 0
    }

    private static func watts(_ joules: [Double], over seconds: Double) -> [Double] {
        joules.map { seconds > 0 ? $0 / seconds : 0 }
    }

    public static func == (a: ComponentEnergy, b: ComponentEnergy) -> Bool {
        a.kind == b.kind && a.devices == b.devices && a.method == b.method && a.joules == b.joules
            && a.averageWatts == b.averageWatts && a.attribution == b.attribution
            && a.joulesRange == b.joulesRange
    }
}
