/// A seeded pseudo-random generator (SplitMix64), so that a test's numbers, and a failure, can be
/// replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// Starts at `state` itself.
    init(state: UInt64) { self.state = state }

    /// Starts one step past `seed`, so that seed 0 does not begin with a 0 state.
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
