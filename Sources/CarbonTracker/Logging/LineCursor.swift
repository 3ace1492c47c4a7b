import CarbonTrackerSources

/// Writes log lines into memory sized for them beforehand (an epoch's event-log line, an epoch's
/// standard-log lines): plain stores, no capacity check per byte, one copy or none into the batch.
///
/// The caller sizes the memory for the longest text each call can write: fixed text by its length,
/// each number by ``DecimalText/maximumLength``, a duration by ``TimeString/maximumLength``.
struct LineCursor {
    private var next: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { next = start }

    /// The bytes written since `start`.
    func count(from start: UnsafeMutablePointer<UInt8>) -> Int { start.distance(to: next) }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        next.pointee = value
        next += 1
    }

    /// Fixed ASCII text that needs no escaping.
    @inline(__always)
    mutating func text(_ value: StaticString) {
        Self.copy(value.utf8Start, to: next, count: value.utf8CodeUnitCount)
        next += value.utf8CodeUnitCount
    }

    /// Bytes copied as they are.
    @inline(__always)
    mutating func bytes(_ value: UnsafeBufferPointer<UInt8>) {
        guard let base = value.baseAddress else { return }
        Self.copy(base, to: next, count: value.count)
        next += value.count
    }

    /// Copies `count` bytes. From 8 to 32 bytes (every fixed text of a line, a line's timestamp) with
    /// two overlapping unaligned loads and stores in place, not a call into the C library's `memcpy`,
    /// which lines call a dozen times an epoch.
    @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        if count >= 16 && count <= 32 {
            let head = from.loadUnaligned(as: SIMD16<UInt8>.self)
            let tail = from.loadUnaligned(fromByteOffset: count &- 16, as: SIMD16<UInt8>.self)
            to.storeBytes(of: head, as: SIMD16<UInt8>.self)
            to.storeBytes(of: tail, toByteOffset: count &- 16, as: SIMD16<UInt8>.self)
        } else if count >= 8 && count < 16 {
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        } else {
            target.update(from: source, count: count)
        }
    }

    mutating func integer(_ value: Int) {
        if value >= 0 {
            let count = DecimalText.digitCount(UInt(value))
            DecimalText.writeDigits(next, UInt64(value), count)
            next += count
            return
        }
        var text: [UInt8] = []
        LogNumber.appendInteger(&text, value)
        for value in text { byte(value) }
    }

    /// A JSON number, `null` when it is not finite.
    mutating func number(_ value: Double, fractionDigits: Int) {
        guard value.isFinite else { return text("null") }
        next += DecimalText.write(next, value, fractionDigits: fractionDigits)
    }

    /// A JSON number, `null` when it is not finite.
    mutating func number(_ value: Double, significantDigits: Int) {
        guard value.isFinite else { return text("null") }
        next += DecimalText.write(next, value, significantDigits: significantDigits)
    }

    /// `value` rounded to micro-units as the standard log writes it (`nan` and `inf` as Swift does).
    mutating func logNumber(_ value: Double) {
        next += DecimalText.write(next, value, fractionDigits: 6)
    }

    /// ``LogNumber/appendList(_:_:alwaysBrackets:)``'s text: one value alone, several as `[a b]`.
    mutating func logList(_ values: [Double]) {
        logList(count: values.count) { values[$0] }
    }

    /// ``logList(_:)`` of `components[index]`'s ``ComponentEnergy/averageWatts``, without making that
    /// array (or copying the component).
    mutating func logListOfAverageWatts(_ components: [ComponentEnergy], _ index: Int) {
        logList(count: components[index].averageWattsCount) { components[index].averageWatt(at: $0) }
    }

    /// ``logList(_:)`` of the `count` values `value` gives by position.
    @inline(__always)
    private mutating func logList(count: Int, _ value: (Int) -> Double) {
        let brackets = count != 1
        if brackets { byte(UInt8(ascii: "[")) }
        for index in 0..<count {
            if index > 0 { byte(UInt8(ascii: " ")) }
            logNumber(value(index))
        }
        if brackets { byte(UInt8(ascii: "]")) }
    }

    /// A duration as ``TimeString/format(seconds:withHundredths:)`` writes it.
    mutating func time(_ seconds: Double, withHundredths: Bool) {
        next += TimeString.write(next, seconds: seconds, withHundredths: withHundredths)
    }

    /// ``RangeLine/appendFixed(_:_:scale:decimals:)``'s text.
    mutating func fixed(_ value: Double, scale: Double, decimals: Int) {
        next += RangeLine.writeFixed(next, value, scale: scale, decimals: decimals)
    }
}

/// Standard-log lines written in place by ``LogBatch/standardLines(count:maximumBytes:_:)``.
struct StandardLines {
    /// Where the line's text goes.
    var cursor: LineCursor
    /// The `YYYY-MM-DD HH:MM:SS - ` prefix of every line in this batch.
    let prefix: UnsafeBufferPointer<UInt8>

    /// Starts a line with its timestamp.
    @inline(__always)
    mutating func begin() { cursor.bytes(prefix) }

    /// Ends a line.
    @inline(__always)
    mutating func end() { cursor.byte(UInt8(ascii: "\n")) }
}
