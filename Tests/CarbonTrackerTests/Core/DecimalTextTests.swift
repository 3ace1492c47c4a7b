import Foundation
import Testing

@testable import CarbonTrackerSources

/// ``DecimalText`` writes exactly what `Double.description` (Python's `repr`) writes for the rounded
/// value, in every case, the fallbacks included.
@Suite struct DecimalTextTests {
    static func text(_ write: (inout [UInt8]) -> Void) -> String {
        var bytes: [UInt8] = []
        write(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Values of every magnitude the logs meet, and the edges of the fast path.
    static func samples() -> [Double] {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [
            0, -0.0, 1, 10, 248, 0.5, 0.1, 0.0001, 0.00001, 0.000_099_999_5, 1e-4, 123_456_789.012_345,
            999_999.999_999_5, 0.000_000_4, 0.000_000_5, -0.000_000_4, 1e15, 9.99e14, 1e16, 1.5e300,
            .leastNonzeroMagnitude,
            .nan, .infinity, -.infinity, 445, 444.999_999_999_999_7, 3_599.123_456_789, 2.7e-05,
        ]
        for _ in 0..<4000 {
            let exponent = Double.random(in: -12...16, using: &generator)
            let sign: Double = Bool.random(using: &generator) ? 1 : -1
            values.append(
                sign * Double.random(in: 1..<10, using: &generator) * pow(10, exponent.rounded(.down)))
        }
        return values
    }

    @Test func roundedToDecimalsItIsTheRoundedValuesDescription() {
        for value in Self.samples() {
            for digits in 0...9 {
                let expected = LogNumber.rounded(value, pow(10, Double(digits))).description
                let written = Self.text { DecimalText.append(&$0, value, fractionDigits: digits) }
                #expect(written == expected, "\(value) to \(digits) decimals")
            }
        }
    }

    @Test func roundedToSignificantDigitsItIsTheRoundedValuesDescription() {
        for value in Self.samples() {
            for digits in 1...15 {
                let expected = LogNumber.significant(value, digits).description
                let written = Self.text { DecimalText.append(&$0, value, significantDigits: digits) }
                #expect(written == expected, "\(value) to \(digits) significant digits")
            }
        }
        #expect(LogNumber.significant(0.028_426_293_447_687_608, 6) == 0.028_426_3)
        #expect(LogNumber.significant(-987_654_321, 3) == -988_000_000)
        #expect(LogNumber.significant(9.999_999_7e-5, 6) == 0.0001)
    }

    @Test func roundingWithoutTheCLibraryIsRounded() {
        let halves: [Double] = [
            0.5, -0.5, 1.5, -1.5, 2.5, 0.499_999_999_999_999_94, -0.3, 4_503_599_627_370_495.5,
            4_503_599_627_370_496, 9_007_199_254_740_994, -1e300,
        ]
        for value in Self.samples() + halves + halves.map({ $0.nextUp }) + halves.map({ $0.nextDown }) {
            let expected = value.rounded()
            let rounded = DecimalText.roundedHalfAway(value)
            #expect(
                rounded.bitPattern == expected.bitPattern || (rounded.isNaN && expected.isNaN),
                "\(value) rounds to \(expected), not \(rounded)")
        }
    }

    @Test func digitCountsAreTheDecimalTextsLengths() {
        var values: [UInt] = [0, 1, 9, 10, 11, 99, 100, .max, .max - 1]
        var power: UInt = 1
        for _ in 0..<19 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            values.append(UInt.random(in: 0...(.max >> UInt.random(in: 0...63)), using: &generator))
        }
        for value in values {
            #expect(DecimalText.digitCount(value) == String(value).count, "\(value)")
        }
    }

    @Test func theStandardLogsNumbersAreUnchanged() {
        #expect(LogNumber.list([248, 50.5]) == "[248.0 50.5]")
        #expect(LogNumber.list([0.000_012_3]) == "1.2e-05")
        #expect(LogNumber.list([119.628_326_699_967_15]) == "119.628327")
    }
}

@Suite struct ASCIITextTests {
    @Test func staticNamesAreTheRawValues() {
        for kind in ComponentKind.allCases { #expect(kind.logName.description == kind.rawValue) }
        for method in MeasurementMethod.allCases { #expect(method.logName.description == method.rawValue) }
        var bytes = Array("a".utf8)
        bytes.append(ascii: "bc")
        #expect(bytes == Array("abc".utf8))
    }
}
