import Foundation

/// The default power-usage-effectiveness factor applied to predicted and actual energy (Daniel Bizo,
/// 2023, Uptime Institute Global Data Center Survey), as in Python carbontracker 2.4.7;
/// ``TrackerOptions/pue`` changes it for one tracker.
public let powerUsageEffectiveness = 1.58

/// What one finished epoch used.
public struct EpochMeasurement: Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Wall time of the epoch on the monotonic clock, in seconds.
    public var durationSeconds: Double
    /// Per-component energy, without the PUE factor.
    public var components: [ComponentEnergy]
    /// Grams of CO2-equivalent, with the PUE factor (energy × intensity in force during the epoch).
    public var co2eqGrams: Double
    /// The PUE factor this epoch's energy is multiplied by.
    public var powerUsageEffectiveness: Double = CarbonTracker.defaultPowerUsageEffectiveness
    /// Low and high bounds of ``co2eqGrams``: the energy range combined with the intensity's.
    public var co2eqGramsRange: ClosedRange<Double>

    /// Low and high bounds of ``energyKilowattHours``, with the PUE factor: the sum of the components'
    /// ``ComponentEnergy/joulesRange``.
    public var energyKilowattHoursRange: ClosedRange<Double> {
        let low = components.reduce(0) { $0 + $1.joulesRange.lowerBound }
        let high = components.reduce(0) { $0 + $1.joulesRange.upperBound }
        return (low * powerUsageEffectiveness / 3_600_000)...(high * powerUsageEffectiveness / 3_600_000)
    }

    /// All components' energy in kilowatt-hours, with the PUE factor.
    public var energyKilowattHours: Double {
        components.reduce(0) { $0 + $1.joules.reduce(0, +) } * powerUsageEffectiveness / 3_600_000
    }
}

/// A predicted or actual consumption, as printed in the reports.
public struct ConsumptionReport: Sendable, Equatable {
    /// Whether the figures are measured or extrapolated.
    public enum Kind: String, Sendable, Equatable {
        /// Extrapolated to all epochs from the first ones.
        case predicted
        /// Measured over the epochs that finished.
        case actual
    }

    /// Whether the figures are measured or extrapolated.
    public var kind: Kind
    /// Epochs covered (all epochs for a prediction, finished ones for an actual report).
    public var epochs: Int
    /// Training time in seconds.
    public var durationSeconds: Double
    /// Energy in kilowatt-hours, with the PUE factor.
    public var energyKilowattHours: Double
    /// Grams of CO2-equivalent.
    public var co2eqGrams: Double
    /// The intensity the CO2eq corresponds to, in gCO2eq/kWh (energy-weighted for actual figures).
    public var gramsPerKilowattHour: Double
    /// Everyday equivalents of the CO2eq, e.g. ("km travelled by car", 0.5); empty when not interpretable.
    public var equivalents: [Equivalent]
    /// Per-component energy over the measured epochs, without the PUE factor.
    public var components: [ComponentEnergy]
    /// Measured epoch durations in seconds.
    public var epochDurationsSeconds: [Double]
    /// Low and high bounds of ``energyKilowattHours`` (measured, or extrapolated for a prediction).
    public var energyKilowattHoursRange: ClosedRange<Double>
    /// Low and high bounds of ``co2eqGrams``: the energy range combined with the intensity's.
    public var co2eqGramsRange: ClosedRange<Double>

    /// Creates a report; a range left out is the value alone.
    init(
        kind: Kind, epochs: Int, durationSeconds: Double, energyKilowattHours: Double, co2eqGrams: Double,
        gramsPerKilowattHour: Double, equivalents: [Equivalent], components: [ComponentEnergy],
        epochDurationsSeconds: [Double], energyKilowattHoursRange: ClosedRange<Double>? = nil,
        co2eqGramsRange: ClosedRange<Double>? = nil
    ) {
        self.kind = kind
        self.epochs = epochs
        self.durationSeconds = durationSeconds
        self.energyKilowattHours = energyKilowattHours
        self.co2eqGrams = co2eqGrams
        self.gramsPerKilowattHour = gramsPerKilowattHour
        self.equivalents = equivalents
        self.components = components
        self.epochDurationsSeconds = epochDurationsSeconds
        self.energyKilowattHoursRange = energyKilowattHoursRange ?? energyKilowattHours...energyKilowattHours
        self.co2eqGramsRange = co2eqGramsRange ?? co2eqGrams...co2eqGrams
    }

    /// An amount in an everyday unit.
    public struct Equivalent: Sendable, Equatable {
        /// The unit, e.g. "km travelled by car".
        public var unit: String
        /// The amount in that unit.
        public var amount: Double
    }

    /// The report text exactly as Python carbontracker prints it (without the "CarbonTracker: " prefix).
    /// - Parameters:
    ///   - heading: "Predicted consumption for 10 epoch(s):", "Actual consumption:", ...
    ///   - decimalPrecision: Digits after the decimal point.
    /// - Returns: The multi-line report, starting with a newline.
    public func text(heading: String, decimalPrecision: Int) -> String {
        let p = decimalPrecision
        var text =
            "\n\(heading)\n\tTime:\t\(TimeString.format(seconds: durationSeconds))\n"
            + "\tEnergy:\t\(Self.fixed(energyKilowattHours, p)) kWh\n\tCO2eq:\t\(Self.fixed(co2eqGrams, p)) g"
        if !equivalents.isEmpty {
            text += "\n\tThis is equivalent to:"
            for equivalent in equivalents {
                text += "\n\t\(Self.fixed(equivalent.amount, p)) \(equivalent.unit)"
            }
        }
        return text
    }

    /// Python's `f"{x:.{p}f}"`.
    static func fixed(_ value: Double, _ precision: Int) -> String {
        String(format: "%.*f", precision, value)
    }
}
