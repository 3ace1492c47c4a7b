/// Mutations libFuzzer does not know: the values and shapes that broke, or could break, a reader of
/// carbontracker logs and provider answers.
///
/// ```swift
/// var random = XorShift64Star(seed: 1)
/// DomainMutation.apply(to: &bytes, using: &random)
/// ```
///
/// Each call applies one: a number replaced by a special one (NaN, infinities, the largest double,
/// `Int` limits, billions of hours), line endings changed to `\r` or `\r\n`, NUL bytes or invalid
/// UTF-8 inserted, a line made longer than the reader's limit, a truncation, a line repeated or moved,
/// or a token of the log or JSON formats inserted. The first byte (which reader) is left alone.
enum DomainMutation {
    static let specialNumbers = [
        "nan", "-nan", "NaN", "inf", "-inf", "Infinity", "1.7e308", "-1.7e308", "1e999", "-0.0", "0",
        "-1", "4.9e-324", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999999", "2562047788015216", "1e22", "0.1234567890123456789012",
    ].map { Array($0.utf8) }

    static let tokens = [
        "2026-01-01 00:00:00 - ", "Epoch 9223372036854775807:", "Epoch 1:", "Duration: ",
        "Duration: 2562047788015216:00:00", "Duration: 0:00:01.00", "Average power usage (W) for cpu: [",
        "Average power usage (W) for gpu: [1.7e308 1.7e308]", "Measured energy (J) for cpu: [",
        " [method: counter]",
        "None", "]", "[",
        "The following components were found: GPU with device(s) A, B. CPU with device(s) X.",
        "carbontracker version ", "PUE coefficient of ", "Monitoring thread ended.",
        "Training was interrupted",
        "Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: DK: [",
        "Average carbon intensity during training was ", "CarbonTracker: ", "Actual consumption:",
        "Actual consumption for 3 epoch(s):", "Predicted consumption for 10 epoch(s):", "\tTime:\t",
        "\tEnergy:\t",
        " kWh", "\tCO2eq:\t", " g", "This is equivalent to:", " km travelled by car",
        "\n--- carbontracker_output.log ---\n",
        "Distributed run: job 4711 (slurm), step 0, node node1, rank 1 of 4, local rank 1 of 2, launcher slurm, pid 8",
        "Distributed measure: gpu \"Sim GPU\" [node1/rank 1/gpu/Sim GPU]; rule: r",
        "Window eval: duration 0:00:01.23, energy (J) for gpu: [12.5] [method: counter], CO2eq (g): 0.5",
        "{\"schema\":\"carbontracker.events/1\",\"event\":\"epoch_ended\",", "\"duration_seconds\":",
        "\"energy_kwh\":", "\"co2eq_grams\":", "\"energy_joules\":[", "{", "}", "[", "]", "null",
        "{\"schema\":\"carbontracker.events/2\",\"event\":\"run_started\",",
        "{\"event\":\"epoch\",\"epoch\":",
        "\"t\":", "\"s\":", "\"j\":[", "\"energy_kwh_low\":", "\"co2eq_grams_high\":",
        "\"carbonIntensity\": ",
        "\"forecast\": [", "\"datetime\": \"2024-05-01T12:00:00.000Z\"", "\"records\": [",
        "\"CO2Emission\": ",
        "\"Minutes5UTC\": \"2024-05-01T12:00:00\"", "\"PriceArea\": \"DK1\"", "\"data\": ",
        "\"from\": \"2024-05-01T11:30Z\"", "\"to\": \"2024-05-01T12:00Z\"", "\"intensity\": {\"forecast\": ",
        "\"actual\": ", "\"country\": \"GB\"", "\"loc\": \"51.5,-0.12\"", "\"postal\": \"SW1A\"",
    ].map { Array($0.utf8) }

    static let invalidUTF8: [[UInt8]] = [
        [0], [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
    ]

    /// Applies one mutation chosen by `random`.
    static func apply(to bytes: inout [UInt8], using random: inout XorShift64Star) {
        guard !bytes.isEmpty else {
            bytes = [UInt8(ascii: "L")]
            return
        }
        // A place after the first byte (1 ... count), and an item, chosen by `random`.
        let at = Int(random.next() % UInt64(bytes.count)) + 1
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        switch random.next() % 9 {
        case 0: replaceNumber(in: &bytes, with: pick(specialNumbers), near: at)
        case 1:
            let ending: [UInt8] = pick([[0x0D], [0x0D, 0x0A], [0x0A]])
            bytes = [bytes[0]] + replaceLineEndings(Array(bytes.dropFirst()), with: ending)
        case 2:
            let garbage = pick(invalidUTF8)
            bytes.insert(contentsOf: garbage, at: at)
        case 3:
            // Longer than the 256 bytes the fuzzed reader keeps, and repeated from the input itself.
            let piece = bytes[at..<min(bytes.count, at + 16)]
            let repeated = Array(repeating: piece.isEmpty ? [UInt8(ascii: "9")] : Array(piece), count: 40)
                .joined()
            bytes.insert(contentsOf: repeated, at: at)
        case 4: bytes.removeSubrange(at..<bytes.count)
        case 5:
            let lines = Array(bytes.dropFirst()).split(separator: 0x0A, omittingEmptySubsequences: false)
            guard let line = lines.randomElement(using: &random) else { return }
            bytes.insert(contentsOf: Array(line) + [0x0A], at: at)
        case 6:
            let lines = Array(bytes.dropFirst()).split(separator: 0x0A, omittingEmptySubsequences: false)
            bytes = [bytes[0]] + lines.shuffled(using: &random).joined(separator: [0x0A])
        default:
            let token = pick(tokens)
            bytes.insert(contentsOf: token, at: at)
        }
    }

    /// Replaces the number at or after `offset` (or before it, when there is none after).
    static func replaceNumber(in bytes: inout [UInt8], with number: [UInt8], near offset: Int) {
        func isNumberByte(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || byte == 0x2E || byte == 0x2D || byte == 0x2B || byte == 0x65
        }
        var start = offset
        while start < bytes.count, !(0x30...0x39).contains(bytes[start]) { start += 1 }
        if start == bytes.count {
            start = offset
            while start > 1, !(0x30...0x39).contains(bytes[start - 1]) { start -= 1 }
            guard start > 1 else {
                bytes.insert(contentsOf: number, at: offset)
                return
            }
            start -= 1
        }
        while start > 1, isNumberByte(bytes[start - 1]) { start -= 1 }
        var end = start
        while end < bytes.count, isNumberByte(bytes[end]) { end += 1 }
        bytes.replaceSubrange(start..<end, with: number)
    }

    /// Every `\r\n`, `\r` or `\n` as `ending`.
    static func replaceLineEndings(_ bytes: [UInt8], with ending: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                result += ending
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                result.append(byte)
            }
            index += 1
        }
        return result
    }
}

/// A small, fast, seedable generator (xorshift64*), so a mutation is reproducible from libFuzzer's seed.
struct XorShift64Star: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
