/// The public reference tables embedded in the package (see `scripts/generate-data.py`).
///
/// ```swift
/// ReferenceData.countryIntensity(alpha2: "DK")?.gramsPerKilowattHour
/// ReferenceData.equivalents(forGrams: 1068)   // [("km travelled by car", 10.0)]
/// ```
///
/// Each table is parsed once, on first use (a few milliseconds for the CPU table).
public enum ReferenceData {
    /// A country's yearly average carbon intensity of electricity (Ember / Our World in Data).
    public struct CountryIntensity: Sendable, Equatable {
        /// ISO 3166 alpha-2 code.
        public var alpha2: String
        /// The year of the figure.
        public var year: Int
        /// The country's name.
        public var name: String
        /// Grams of CO2-equivalent per kilowatt-hour.
        public var gramsPerKilowattHour: Double
    }

    /// A conversion of grams of CO2-equivalent into an everyday unit.
    public struct Conversion: Sendable, Equatable {
        /// The factor's name, e.g. `eu_new_car_2024`.
        public var name: String
        /// Grams of CO2-equivalent per unit.
        public var gramsPerUnit: Double
        /// The unit, e.g. "km travelled by car".
        public var unit: String
        /// The smallest amount of grams the conversion applies to.
        public var lowerBoundGrams: Double
        /// The largest amount of grams the conversion applies to.
        public var upperBoundGrams: Double
    }

    /// Every country's average, keyed by upper-case alpha-2 code.
    public static let countryIntensities: [String: CountryIntensity] = {
        var table: [String: CountryIntensity] = [:]
        for fields in rows(EmbeddedTables.carbonIntensities, columns: 4) {
            guard let year = Int(fields[1]), let value = Double(fields[3]) else { continue }
            table[fields[0].uppercased()] = CountryIntensity(
                alpha2: fields[0].uppercased(), year: year, name: fields[2], gramsPerKilowattHour: value)
        }
        return table
    }()

    /// CPU model names and their thermal design power in watts, in table order.
    public static let cpuThermalDesignPower: [(name: String, watts: Double)] = rows(
        EmbeddedTables.cpuPower, columns: 2
    ).compactMap { fields in Double(fields[1]).map { (fields[0], $0) } }

    /// The conversion factors, oldest first.
    public static let conversions: [Conversion] = rows(EmbeddedTables.co2Equivalents, columns: 5)
        .compactMap { f in
            guard let perUnit = Double(f[1]), let low = Double(f[3]), let high = Double(f[4]) else {
                return nil
            }
            return Conversion(
                name: f[0], gramsPerUnit: perUnit, unit: f[2], lowerBoundGrams: low, upperBoundGrams: high)
        }

    /// Looks up a country's average carbon intensity.
    /// - Parameter alpha2: ISO 3166 alpha-2 code, any case.
    /// - Returns: The country's figure, or `nil` when the table has none.
    public static func countryIntensity(alpha2: String) -> CountryIntensity? {
        countryIntensities[alpha2.uppercased()]
    }

    /// Converts grams of CO2-equivalent into everyday units, as Python carbontracker does:
    /// only the latest conversion factor is used (EEA 2024 new cars, 106.8 g/km), when the amount
    /// lies within its bounds.
    /// - Parameter grams: Grams of CO2-equivalent.
    /// - Returns: Pairs of unit and amount; empty when no factor applies.
    public static func equivalents(forGrams grams: Double) -> [(unit: String, amount: Double)] {
        guard let latest = conversions.last,
            latest.lowerBoundGrams <= grams, grams <= latest.upperBoundGrams
        else { return [] }
        return [(latest.unit, grams / latest.gramsPerUnit)]
    }

    private static func rows(_ text: String, columns: Int) -> [[String]] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return fields.count == columns ? fields : nil
        }
    }
}
