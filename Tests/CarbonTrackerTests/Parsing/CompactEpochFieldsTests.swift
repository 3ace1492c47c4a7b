import Foundation
import Testing

@testable import CarbonTracker

/// A plain version 2 epoch line read in place (``CompactEpochFields/init(plainLine:)``) gives exactly
/// what `JSONSerialization` and the scanner's casts give, or nothing, so the line is decoded.
@Suite struct CompactEpochFieldsTests {
    /// Every member, as text: equal texts are equal doubles, a negative zero and NaN included.
    static func describe(_ fields: CompactEpochFields) -> String {
        "\(fields.number as Any) \(fields.joules) \(fields.seconds as Any) \(fields.offsetSeconds as Any) "
            + "\(fields.methods as Any) \(fields.energyLowKilowattHours as Any) "
            + "\(fields.energyHighKilowattHours as Any) \(fields.co2eqLowGrams as Any) \(fields.co2eqHighGrams as Any)"
    }

    /// The line read in place (`nil` when it is not) and decoded by `JSONSerialization`.
    static func read(_ line: String) throws -> (inPlace: String?, decoded: String) {
        let bytes = Array(line.utf8)
        let inPlace = bytes.withUnsafeBufferPointer { buffer -> String? in
            let line = LogBytes(buffer)
            guard EventLogScanner.isPlainEpochLine(line) else { return nil }
            return CompactEpochFields(plainLine: line).map(describe)
        }
        let object = try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        // Without `j` the line is not a compact epoch, which only the decoder may say.
        guard let joules = object["j"] as? [Any] else { return (inPlace, "not compact") }
        return (inPlace, describe(CompactEpochFields(object, joules: joules)))
    }

    @Test func linesAsTheTrackerWritesThemReadAsDecoded() throws {
        let lines = [
            #"{"event":"epoch","epoch":1,"t":0.013,"s":6.77e-06,"j":[0.001015,0.000338],"co2_g":2.64444e-07,"energy_kwh_low":5.94255e-10,"energy_kwh_high":5.94255e-10,"co2eq_grams_low":2.17493e-08,"co2eq_grams_high":4.45691e-07,"approx":true}"#,
            #"{"event":"epoch","epoch":7,"t":12,"s":2,"j":[[150.5,149.25],null],"methods":[null,"estimated"]}"#,
            #"{"event":"epoch","t":1.5,"s":0.25,"j":[1E+2,[null,3]],"extra":{"a":[1,{"b":"c"}],"d":false}}"#,
            #"{"event":"epoch","epoch":123456789012345,"s":-1.23456789012,"j":[]}"#,
        ]
        for line in lines {
            let (inPlace, decoded) = try Self.read(line)
            #expect(inPlace == decoded, "\(line)")
        }
    }

    @Test func numbersOfEveryMagnitudeReadAsDecoded() throws {
        // A fixed linear congruential sequence: the same numbers on every run.
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var inPlaceCount = 0
        for _ in 0..<2_000 {
            // 1 to 12 significant digits, as the tracker's 6 (a microjoule, a nanosecond) and more.
            let digits = Double(next() % 12 + 1)
            let mantissa = (Double(next()) / Double(1 << 53) * pow(10, digits)).rounded() / pow(10, digits)
            let exponent = Int(next() % 25) - 12
            let value = mantissa * pow(10, Double(exponent)) * (next() % 4 == 0 ? -1 : 1)
            let integer = Int(next() % 1_000_000)
            let line =
                #"{"event":"epoch","epoch":\#(integer),"t":\#(value),"s":\#(abs(value)),"j":[\#(value),[\#(integer),\#(mantissa)]],"#
                + #""energy_kwh_low":\#(mantissa),"energy_kwh_high":\#(value)}"#
            let (inPlace, decoded) = try Self.read(line)
            if let inPlace {
                inPlaceCount += 1
                #expect(inPlace == decoded, "\(line)")
            }
        }
        #expect(inPlaceCount > 1_000, "most lines are read in place (\(inPlaceCount))")
    }

    @Test func whatIsNotPlainlyTypedIsLeftToTheDecoder() throws {
        for line in [
            #"{"event":"epoch","epoch":1,"s":-0,"j":[1]}"#, #"{"event":"epoch","epoch":1,"s":-0.0,"j":[1]}"#,
            #"{"event":"epoch","epoch":1.5,"s":1,"j":[1]}"#, #"{"event":"epoch","s":"1","j":[1]}"#,
            #"{"event":"epoch","s":1,"j":[true]}"#, #"{"event":"epoch","s":1,"s":2,"j":[1]}"#,
            #"{"event":"epoch","s":1}"#, #"{"event":"epoch","s":1.234567890123456789,"j":[1]}"#,
            // Read by JSONSerialization as 0.0007499506137935999 and -0.0007847355901430001.
            #"{"event":"epoch","s":0.0007499506137936,"j":[1]}"#,
            #"{"event":"epoch","s":-0.000784735590143,"j":[1]}"#,
        ] {
            #expect(try Self.read(line).inPlace == nil, "\(line)")
        }
    }
}
