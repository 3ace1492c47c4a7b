import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerSources

/// The event log's window lines read on their bytes give what `JSONSerialization` gives, and any line
/// of another shape is left to it.
@Suite struct EventLogWindowLineTests {
    /// What the general path reads from `line`: the `time` and the window.
    static func general(_ line: String) -> (time: Date?, window: LogParser.Window)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            object["event"] as? String == "window", let window = EventLogScanner.window(from: object)
        else { return nil }
        return ((object["time"] as? String).flatMap(UTCTime.parse), window)
    }

    static func fast(_ line: String) -> (time: Date?, window: LogParser.Window)? {
        var line = line
        return line.withUTF8 { EventLogScanner.compactWindow(LogBytes($0)) }
    }

    /// Every window line a monitor writes is read on its bytes, equal to the general reading.
    @Test func theEncodersWindowLinesAreReadOnTheirBytesAsJSONSerializationReadsThem() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let monitor = try EnergyMonitorTests.monitor(logDir: logs, updateInterval: 0.01)
        for name in ["step", "naïve \u{1F680} pass", "quote \" and \\ backslash", "eval"] {
            try monitor.beginWindow(name)
            Thread.sleep(forTimeInterval: 0.002)
            _ = try monitor.endWindow(name)
        }
        try monitor.stop()
        let events = try #require(monitor.logFiles?.events)
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map(
            String.init)
        let windows = lines.filter { $0.hasPrefix(#"{"event":"window""#) }
        #expect(windows.count == 4)
        var readFast = 0
        for line in windows {
            let general = try #require(Self.general(line))
            if let fast = Self.fast(line) {
                readFast += 1
                #expect(fast.window == general.window)
                #expect(fast.time == general.time)
            }
        }
        // The name with an escaped quote and backslash is left to JSONSerialization; the others are not.
        #expect(readFast == 3)
        let parsed = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        #expect(
            parsed.windows.map(\.name) == [
                "step", "naïve \u{1F680} pass", "quote \" and \\ backslash", "eval",
            ])
    }

    /// Lines of other shapes: read on their bytes only when the reading equals JSONSerialization's.
    @Test(arguments: [
        // As written, with two devices and no components.
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"a","start":"2026-12-07T15:36:24.626123Z","end":"2026-12-07T15:36:24.630456Z","duration_seconds":0.003975,"energy_kwh":3.4892e-07,"co2eq_grams":0.000155,"energy_kwh_low":3.4e-07,"energy_kwh_high":3.5e-07,"co2eq_grams_low":1.2e-05,"co2eq_grams_high":0.00026,"intensity_g_per_kwh":445.0,"approximate":false,"components":[{"component":"gpu","devices":["A","B"],"energy_joules":[0.5,0.25],"average_power_watts":[150.0,75],"method":"counter"}]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"b","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":0,"energy_kwh":0,"co2eq_grams":0,"energy_kwh_low":0,"energy_kwh_high":0,"co2eq_grams_low":0,"co2eq_grams_high":0,"intensity_g_per_kwh":0,"approximate":true,"components":[]}"#,
        // Bounds in the wrong order: no range, either way.
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"c","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1E+2,"energy_kwh":1,"co2eq_grams":-0.5e-3,"energy_kwh_low":2,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        // Left to JSONSerialization: null, whitespace, key order, numbers JSON does not allow, escapes.
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"d","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":null,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window", "time":"2026-12-07T15:36:24.630Z","name":"e","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","start":"2026-12-07T15:36:24.626Z","name":"f","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"g","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":01,"energy_kwh":1.,"co2eq_grams":.5,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"h\u00e9","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"i","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1e999,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"j","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]} "#,
        // Numbers JSONSerialization reads otherwise than Swift (-0.0007847355901430001), or as an integer -0.
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"k","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":1,"energy_kwh":1,"co2eq_grams":-0.000784735590143,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
        #"{"event":"window","time":"2026-12-07T15:36:24.630Z","name":"l","start":"2026-12-07T15:36:24.626Z","end":"2026-12-07T15:36:24.630Z","duration_seconds":-0,"energy_kwh":1,"co2eq_grams":1,"energy_kwh_low":1,"energy_kwh_high":1,"co2eq_grams_low":1,"co2eq_grams_high":1,"intensity_g_per_kwh":1,"approximate":false,"components":[]}"#,
    ])
    func otherShapesAreReadOnTheirBytesOnlyWhenTheReadingIsTheSame(line: String) {
        let general = Self.general(line)
        guard let fast = Self.fast(line) else {
            // Left to the general path, which the lines written as the encoder writes them must not be.
            #expect(!["a", "b", "c"].contains(general?.window.name ?? ""))
            return
        }
        #expect(
            ["a", "b", "c"].contains(fast.window.name),
            "\(fast.window.name) should be left to JSONSerialization")
        #expect(fast.window == general?.window)
        #expect(fast.time == general?.time)
    }
}
