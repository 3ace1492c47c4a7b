import Foundation

/// The one check every number and switch taken from a caller, a flag or a `CARBONTRACKER_*`
/// variable goes through: finite, and within what is physically plausible, else
/// `.invalidConfiguration` naming the setting and the value.
///
/// ```swift
/// let watts = try Plausible.number(tdp, in: Plausible.deviceWatts, name: "simCPUTDP", unit: "W")
/// ```
///
/// The ranges are wide enough for any real machine and narrow enough that no sum or product of
/// them over a run can overflow to `inf` or lose all precision. Cost: a comparison.
package enum Plausible {
    /// One device's power, in watts: 0 to 10 kW (the largest GPU modules draw under 3 kW).
    package static let deviceWatts: ClosedRange<Double> = 0...10_000
    /// A share of a device's power or time: 0 to 1.
    package static let utilization: ClosedRange<Double> = 0...1
    /// A power-usage-effectiveness factor: 1 (all power reaches the machines) to 10.
    package static let powerUsageEffectiveness: ClosedRange<Double> = 1...10
    /// A sampling interval, in seconds: 1 µs (the benchmarks' busiest loop) to a day.
    package static let intervalSeconds: ClosedRange<Double> = 0.000_001...86_400
    /// How long a stop may wait for the monitoring thread, in seconds: 0 to a day.
    package static let timeoutSeconds: ClosedRange<Double> = 0...86_400
    /// powermetrics' sample length, in milliseconds: 10 ms to a minute.
    package static let powermetricsMilliseconds: ClosedRange<Double> = 10...60_000

    /// Checks that `value` is finite and in `range`.
    /// - Parameters:
    ///   - value: The number given.
    ///   - range: What is plausible.
    ///   - name: The option, flag or variable, as the user wrote it.
    ///   - unit: The unit, for the message ("W", "s"); empty for none.
    /// - Returns: `value`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` naming `name` and `value`.
    @discardableResult
    package static func number(
        _ value: Double, in range: ClosedRange<Double>, name: String, unit: String = ""
    )
        throws -> Double
    {
        guard value.isFinite, range.contains(value) else {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            throw CarbonTrackerError.invalidConfiguration(
                "\(name) must be a number from \(LogNumber.python(range.lowerBound)) to "
                    + "\(LogNumber.python(range.upperBound))\(suffix), got \(value).")
        }
        return value
    }

    /// Reads an environment variable holding a number in `range`; `nil` when unset or empty.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` naming the variable and its
    ///   text when it is not a number or out of range.
    package static func number(
        variable: String, in environment: [String: String], range: ClosedRange<Double>, unit: String = ""
    ) throws -> Double? {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        guard let value = Double(text), value.isFinite, range.contains(value),
            !text.lowercased().hasPrefix("0x")
        else {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            throw CarbonTrackerError.invalidConfiguration(
                "\(variable) must be a number from \(LogNumber.python(range.lowerBound)) to "
                    + "\(LogNumber.python(range.upperBound))\(suffix), got '\(text)'.")
        }
        return value
    }

    /// Reads an on/off environment variable: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`
    /// (any case); `nil` when unset or empty.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` naming the variable and its
    ///   text for anything else.
    package static func flag(variable: String, in environment: [String: String]) throws -> Bool? {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            throw CarbonTrackerError.invalidConfiguration(
                "\(variable) must be 1 or 0 (or true/false, yes/no, on/off), got '\(text)'.")
        }
    }

    /// Checks every numeric and on/off `CARBONTRACKER_*` variable the tracker reads, so a typo fails
    /// at construction instead of silently meaning something else.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for the first bad one.
    package static func checkEnvironment(_ environment: [String: String]) throws {
        for variable in ["CARBONTRACKER_OFFLINE", "CARBONTRACKER_DISTRIBUTED", "CARBONTRACKER_EVENT_LOG"] {
            _ = try flag(variable: variable, in: environment)
        }
        _ = try number(variable: "CARBONTRACKER_PUE", in: environment, range: powerUsageEffectiveness)
        _ = try number(
            variable: "CARBONTRACKER_POWERMETRICS_INTERVAL_MS", in: environment,
            range: powermetricsMilliseconds,
            unit: "ms")
    }
}
