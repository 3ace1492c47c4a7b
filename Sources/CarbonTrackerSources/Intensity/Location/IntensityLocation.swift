/// Where the machine draws its electricity from, for choosing a carbon-intensity provider and its fallback.
///
/// ```swift
/// var options = TrackerOptions()
/// options.location = IntensityLocation(countryCode: "DK")
/// options.location = IntensityLocation(zone: "DK-DK2")            // an Electricity Maps zone
/// options.location = IntensityLocation(latitude: 55.68, longitude: 12.57, countryCode: "DK")
/// ```
///
/// Any field may be left out; the country is taken from the zone ("DK-DK2" → "DK") when not given.
/// A configured location replaces IP geolocation, so nothing is looked up over the network.
public struct IntensityLocation: Sendable, Equatable {
    /// ISO 3166 alpha-2 country code, upper case ("DK").
    public var countryCode: String?
    /// An Electricity Maps zone ("DK-DK2", "US-CAL-CISO"); also picks the Danish price area.
    public var zone: String?
    /// Latitude in degrees, north positive.
    public var latitude: Double?
    /// Longitude in degrees, east positive.
    public var longitude: Double?
    /// A postcode; Great Britain's regional intensity uses its outward part ("SW1A").
    public var postcode: String?
    /// The location as logged; derived from the other fields when `nil`.
    public var address: String?

    /// Creates a location.
    /// - Parameters:
    ///   - latitude: Latitude in degrees (needs `longitude`).
    ///   - longitude: Longitude in degrees (needs `latitude`).
    ///   - countryCode: ISO 3166 alpha-2 country code, any case.
    ///   - zone: An Electricity Maps zone.
    ///   - postcode: A postcode (used in Great Britain).
    ///   - address: The location as logged.
    public init(
        latitude: Double? = nil, longitude: Double? = nil, countryCode: String? = nil, zone: String? = nil,
        postcode: String? = nil, address: String? = nil
    ) {
        self.latitude = latitude
        self.longitude = longitude
        self.countryCode = countryCode?.uppercased()
        self.zone = zone
        self.postcode = postcode
        self.address = address
    }

    /// The country code, or the country part of the zone.
    var effectiveCountryCode: String? {
        if let countryCode { return countryCode.uppercased() }
        guard let zone, let prefix = zone.split(separator: "-").first, prefix.count == 2 else { return nil }
        return prefix.uppercased()
    }

    /// Latitude and longitude when both are known.
    var coordinates: (latitude: Double, longitude: Double)? {
        guard let latitude, let longitude else { return nil }
        return (latitude, longitude)
    }

    /// The location as written in the logs ("Copenhagen, Capital Region, DK", "DK-DK2", ...).
    package var displayAddress: String {
        if let address, !address.isEmpty { return address }
        if let zone { return zone }
        if let country = effectiveCountryCode { return country }
        if let coordinates { return "\(coordinates.latitude), \(coordinates.longitude)" }
        return "Unknown"
    }

    /// Checks the fields, naming `origin` (the option or variable they came from) in the message.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a malformed field.
    func validated(origin: String) throws -> IntensityLocation {
        if let countryCode, !Self.isAlpha2(countryCode) {
            throw CarbonTrackerError.invalidConfiguration(
                "\(origin): the country code must be an ISO 3166 alpha-2 code such as DK or GB, got '\(countryCode)'."
            )
        }
        if let zone, zone.isEmpty || zone.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw CarbonTrackerError.invalidConfiguration(
                "\(origin): the zone must be an Electricity Maps zone such as DK-DK2, got '\(zone)'.")
        }
        if (latitude == nil) != (longitude == nil) {
            throw CarbonTrackerError.invalidConfiguration(
                "\(origin): give both latitude and longitude, or neither.")
        }
        if let latitude, !(latitude.isFinite && (-90...90).contains(latitude)) {
            throw CarbonTrackerError.invalidConfiguration(
                "\(origin): latitude must be between -90 and 90 degrees, got \(latitude).")
        }
        if let longitude, !(longitude.isFinite && (-180...180).contains(longitude)) {
            throw CarbonTrackerError.invalidConfiguration(
                "\(origin): longitude must be between -180 and 180 degrees, got \(longitude).")
        }
        return self
    }

    static func isAlpha2(_ text: String) -> Bool {
        text.count == 2 && text.allSatisfy { $0.isASCII && $0.isLetter }
    }
}
