import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Configuration checks that must fail construction rather than a later refresh.
@Suite struct IntensitySettingsTests {
    private func settings(
        apiKeys: [String: String]? = nil, _ environment: [String: String], location: IntensityLocation? = nil
    )
        throws -> IntensitySettings
    {
        try IntensitySettings(
            apiKeys: apiKeys, options: TrackerOptions(environment: environment, location: location))
    }

    @Test func unknownProviderNamesAreAnErrorThatNamesThemButNotTheirKeys() {
        #expect {
            _ = try settings(apiKeys: ["electricitymap": "SECRET", "co2signal": "OTHER"], [:])
        } throws: { error in
            guard let error = error as? CarbonTrackerError else { return false }
            return error.code == .invalidConfiguration
                && error.message.contains("'co2signal', 'electricitymap'")
                && error.message.contains("electricitymaps, energidataservice, carbonintensityGB")
                && !error.message.contains("SECRET") && !error.message.contains("OTHER")
        }
    }

    @Test func providerNamesAreMatchedWithoutRegardToCase() throws {
        let keys = try ProviderKeys(["CarbonIntensityGB": "", "ElectricityMaps": ""])
        #expect(keys.requested == .carbonIntensityGB)
        #expect(keys.emptyKeyProviders == [.electricityMaps])
        #expect(
            try ProviderKeys(["electricitymaps": "k", "energidataservice": ""]).requested == .electricityMaps)
    }

    @Test func readsTheEnvironment() throws {
        let read = try settings([
            "CARBONTRACKER_COUNTRY": "dk", "CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_HTTP_TIMEOUT": "2.5",
            "CARBONTRACKER_ENERGIDATASERVICE_URL": "https://mirror.example.org/eds/",
        ])
        #expect(read.configuredLocation == IntensityLocation(countryCode: "DK"))
        #expect(read.offline)
        #expect(read.requestTimeoutSeconds == 2.5)
        #expect(
            read.energiDataService.url(path: ["dataset", "CO2Emis"]).absoluteString
                == "https://mirror.example.org/eds/dataset/CO2Emis")
        #expect(read.geolocation.base.absoluteString == "https://ipinfo.io/json")
        #expect(read.electricityMaps.base.absoluteString == "https://api.electricitymaps.com/v3")
        #expect(read.carbonIntensityGB.base.absoluteString == "https://api.carbonintensity.org.uk")
    }

    @Test func anExplicitLocationWinsOverTheEnvironment() throws {
        let read = try settings(["CARBONTRACKER_COUNTRY": "DK"], location: IntensityLocation(zone: "GB"))
        #expect(read.configuredLocation?.effectiveCountryCode == "GB")
        #expect(!read.offline)
    }

    @Test(arguments: [
        ["CARBONTRACKER_COUNTRY": "Denmark"], ["CARBONTRACKER_HTTP_TIMEOUT": "0"],
        ["CARBONTRACKER_HTTP_TIMEOUT": "soon"], ["CARBONTRACKER_GEOLOCATION_URL": "http://ipinfo.io/json"],
        ["CARBONTRACKER_ELECTRICITYMAPS_URL": "ftp://example.org"],
        ["CARBONTRACKER_ENERGIDATASERVICE_URL": "nonsense"],
    ])
    func malformedVariablesAreAnError(environment: [String: String]) {
        #expect(throws: CarbonTrackerError.self) { _ = try settings(environment) }
    }

    @Test(arguments: [
        IntensityLocation(latitude: 95, longitude: 0), IntensityLocation(latitude: 10),
        IntensityLocation(countryCode: "DNK"), IntensityLocation(zone: "DK DK1"),
    ])
    func malformedLocationsAreAnError(location: IntensityLocation) {
        #expect(throws: CarbonTrackerError.self) { _ = try settings([:], location: location) }
    }

    @Test func plainHTTPIsAcceptedOnlyForLoopbackHosts() throws {
        #expect(throws: Never.self) {
            _ = try ServiceEndpoint.parse("http://127.0.0.1:8080/v3", variable: "X")
        }
        #expect(throws: Never.self) { _ = try ServiceEndpoint.parse("http://localhost:1", variable: "X") }
        #expect(throws: CarbonTrackerError.self) {
            _ = try ServiceEndpoint.parse("http://10.0.0.1/", variable: "X")
        }
    }

    @Test func requestURLsKeepTheBaseQueryAndEncodeEveryPart() throws {
        let ipinfo = try ServiceEndpoint.parse("https://ipinfo.io/json?token=abc", variable: "X")
        #expect(ipinfo.url().absoluteString == "https://ipinfo.io/json?token=abc")
        let service = try ServiceEndpoint.parse("https://host.example/v3?token=t", variable: "X")
        let url = service.url(
            path: ["a b", "2024-05-01T12:00Z"], query: [("filter", "{\"A\":[\"x\"]}"), ("end", "now+PT1H")])
        #expect(
            url.absoluteString
                == "https://host.example/v3/a%20b/2024-05-01T12:00Z?token=t&filter=%7B%22A%22%3A%5B%22x%22%5D%7D&end=now%2BPT1H"
        )
    }

    @Test func locationsDescribeThemselves() {
        #expect(IntensityLocation(zone: "DK-DK2").effectiveCountryCode == "DK")
        #expect(IntensityLocation(zone: "DK-DK2").displayAddress == "DK-DK2")
        #expect(IntensityLocation(latitude: 1.5, longitude: 2).displayAddress == "1.5, 2.0")
        #expect(IntensityLocation().displayAddress == "Unknown")
        #expect(
            IntensityLocation(countryCode: "gb", address: "London, England, GB").displayAddress
                == "London, England, GB")
    }

    @Test func fallbackIsTheCountryAverageThenTheWorldAverage() throws {
        let denmark = try #require(ReferenceData.countryIntensity(alpha2: "DK"))
        let local = IntensityMessages.fallback(for: IntensityLocation(countryCode: "DK"))
        #expect(local.gramsPerKilowattHour == denmark.gramsPerKilowattHour)
        #expect(local.isLocalized && !local.isFetched)
        #expect(
            IntensityMessages.fallback(for: IntensityLocation(countryCode: "XX")).gramsPerKilowattHour
                == 445)
        #expect(IntensityMessages.fallback(for: nil).gramsPerKilowattHour == 445)
    }
}
