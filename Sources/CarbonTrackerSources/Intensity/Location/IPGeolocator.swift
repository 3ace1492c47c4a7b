import Foundation

/// Finds the machine's location from its public IP address with an ipinfo-style service
/// (`{"city", "region", "country", "loc": "lat,lon", "postal"}`), as Python's `geocoder.ip("me")` does.
///
/// Runs on the intensity thread only, never at import or construction time.
package struct IPGeolocator: Sendable {
    package init(endpoint: ServiceEndpoint, fetcher: JSONFetcher) {
        self.endpoint = endpoint
        self.fetcher = fetcher
    }

    /// The full address of the JSON document (default `https://ipinfo.io/json`).
    let endpoint: ServiceEndpoint
    let fetcher: JSONFetcher

    private struct Answer: Decodable {
        var city: String?
        var region: String?
        var country: String?
        var loc: String?
        var postal: String?
    }

    /// Asks the service where this machine is.
    /// - Parameter deadline: When to give up.
    /// - Returns: The location, with the address written as "city, region, country".
    /// - Throws: ``IntensityFetchError`` when no country could be learnt.
    package func locate(deadline: ContinuousClock.Instant) throws(IntensityFetchError) -> IntensityLocation {
        let answer = try fetcher.fetch(Answer.self, from: endpoint.url(), deadline: deadline)
        guard let country = answer.country?.trimmingCharacters(in: .whitespaces),
            IntensityLocation.isAlpha2(country)
        else {
            throw IntensityFetchError(
                "\(hostDescription(endpoint.base)) did not say which country this machine is in.")
        }
        var location = IntensityLocation(countryCode: country, postcode: answer.postal)
        if let parts = answer.loc?.split(separator: ","), parts.count == 2,
            let latitude = Double(parts[0].trimmingCharacters(in: .whitespaces)),
            let longitude = Double(parts[1].trimmingCharacters(in: .whitespaces)),
            (-90...90).contains(latitude), (-180...180).contains(longitude)
        {
            location.latitude = latitude
            location.longitude = longitude
        }
        let named = [answer.city, answer.region, country].compactMap { part -> String? in
            guard let part = part?.trimmingCharacters(in: .whitespaces), !part.isEmpty else { return nil }
            return part
        }
        location.address = named.joined(separator: ", ")
        return location
    }
}
