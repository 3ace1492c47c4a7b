import Foundation

/// `Window {name}: duration H:MM:SS.hh, energy (J) for gpu: [245.1] [method: counter], ...` — a line
/// Python carbontracker's parser does not match (no `Duration:`, no `Average power usage`).
enum WindowLine {
    static func append(_ window: WindowMeasurement, to batch: inout LogBatch) {
        batch.standard { bytes in
            bytes.append(contentsOf: "Window ".utf8)
            for byte in window.name.utf8 { bytes.append(byte < 0x20 ? UInt8(ascii: " ") : byte) }
            bytes.append(contentsOf: ": duration ".utf8)
            TimeString.append(&bytes, seconds: window.durationSeconds, withHundredths: true)
            for component in window.components {
                bytes.append(contentsOf: ", energy (J) for ".utf8)
                bytes.append(contentsOf: component.kind.rawValue.utf8)
                bytes.append(contentsOf: ": ".utf8)
                LogNumber.appendList(&bytes, component.joules[...], alwaysBrackets: true)
                bytes.append(contentsOf: " [method: ".utf8)
                bytes.append(contentsOf: component.method.rawValue.utf8)
                bytes.append(UInt8(ascii: "]"))
            }
            bytes.append(contentsOf: ", CO2eq (g): ".utf8)
            bytes.append(contentsOf: window.co2eqGrams.description.utf8)
            if window.isApproximate { bytes.append(contentsOf: ", approximate".utf8) }
        }
    }
}
