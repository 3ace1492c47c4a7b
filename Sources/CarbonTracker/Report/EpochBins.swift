/// Per-epoch figures summed into at most ``capacity`` bins of neighbouring epochs, so a chart of any
/// run draws a bounded number of points.
///
/// Each bin covers the same number of epochs (the last may be partial); when the bins are full,
/// neighbours merge pairwise and the width doubles. Sums stay exact (energy is conserved), and
/// minimum and maximum per bin keep single spikes visible. Up to ``capacity`` epochs, every bin is one
/// epoch. Cost: O(1) amortised per epoch; memory O(``capacity`` × components).
struct EpochBins {
    /// One bin: the sums, extremes and counts of the epochs it covers.
    struct Bin {
        var firstEpoch: Int
        var lastEpoch: Int
        var epochs = 0
        var durationSeconds = 0.0
        /// Joules per component, without PUE; `hasJoules` says whether any epoch had a figure.
        var joules: [Double]
        var hasJoules: [Bool]
        /// Average power per component: the sum and count of the epochs' figures, and their extremes.
        var wattsSum: [Double]
        var wattsCount: [Int]
        var wattsMinimum: [Double]
        var wattsMaximum: [Double]
        /// The smallest and largest joules of one epoch over all components, without PUE.
        var epochJoulesMinimum = Double.infinity
        var epochJoulesMaximum = 0.0
        /// Sums of the epochs' energy bounds in kWh (incl. PUE) over the `rangedEpochs` that have one.
        var energyLowKilowattHours = 0.0
        var energyHighKilowattHours = 0.0
        var rangedEpochs = 0
        /// Sums of the epochs' CO2eq bounds in grams over the `co2RangedEpochs` that have one.
        var co2LowGrams = 0.0
        var co2HighGrams = 0.0
        var co2RangedEpochs = 0

        init(epoch: Int, components: Int) {
            firstEpoch = epoch
            lastEpoch = epoch
            joules = Array(repeating: 0, count: components)
            hasJoules = Array(repeating: false, count: components)
            wattsSum = Array(repeating: 0, count: components)
            wattsCount = Array(repeating: 0, count: components)
            wattsMinimum = Array(repeating: .infinity, count: components)
            wattsMaximum = Array(repeating: -.infinity, count: components)
        }

        /// Grows the per-component arrays to `count` components.
        mutating func widen(to count: Int) {
            let missing = count - joules.count
            guard missing > 0 else { return }
            joules += Array(repeating: 0, count: missing)
            hasJoules += Array(repeating: false, count: missing)
            wattsSum += Array(repeating: 0, count: missing)
            wattsCount += Array(repeating: 0, count: missing)
            wattsMinimum += Array(repeating: .infinity, count: missing)
            wattsMaximum += Array(repeating: -.infinity, count: missing)
        }

        /// Adds the figures of `other`, which covers the epochs right after this bin's.
        mutating func merge(_ other: Bin) {
            widen(to: other.joules.count)
            lastEpoch = other.lastEpoch
            epochs += other.epochs
            durationSeconds += other.durationSeconds
            for index in other.joules.indices {
                joules[index] += other.joules[index]
                hasJoules[index] = hasJoules[index] || other.hasJoules[index]
                wattsSum[index] += other.wattsSum[index]
                wattsCount[index] += other.wattsCount[index]
                wattsMinimum[index] = min(wattsMinimum[index], other.wattsMinimum[index])
                wattsMaximum[index] = max(wattsMaximum[index], other.wattsMaximum[index])
            }
            epochJoulesMinimum = min(epochJoulesMinimum, other.epochJoulesMinimum)
            epochJoulesMaximum = max(epochJoulesMaximum, other.epochJoulesMaximum)
            energyLowKilowattHours += other.energyLowKilowattHours
            energyHighKilowattHours += other.energyHighKilowattHours
            rangedEpochs += other.rangedEpochs
            co2LowGrams += other.co2LowGrams
            co2HighGrams += other.co2HighGrams
            co2RangedEpochs += other.co2RangedEpochs
        }

        /// The summed joules of component `index`, or `nil` when no epoch of the bin measured it (a
        /// component first seen after this bin's epochs is past the end of its arrays).
        func joulesIfMeasured(_ index: Int) -> Double? {
            index < hasJoules.count && hasJoules[index] ? joules[index] : nil
        }

        /// The mean per-epoch average power of component `index`, or `nil` when no epoch had one.
        func meanWatts(_ index: Int) -> Double? {
            index < wattsCount.count && wattsCount[index] > 0
                ? wattsSum[index] / Double(wattsCount[index]) : nil
        }
    }

    /// One epoch's figures, as the report keeps them.
    struct Epoch {
        var number: Int
        var durationSeconds: Double
        var joules: [Double?]
        var watts: [Double?]
        var energyKilowattHoursRange: ClosedRange<Double>?
        var co2eqGramsRange: ClosedRange<Double>?
    }

    /// Bins at most; between half of it and all of it once the run is longer.
    let capacity: Int
    private(set) var bins: [Bin] = []
    /// Epochs per bin.
    private(set) var width = 1
    /// Epochs added.
    private(set) var epochs = 0

    init(capacity: Int) {
        precondition(capacity >= 2)
        self.capacity = capacity
        bins.reserveCapacity(capacity)
    }

    /// Adds the next epoch.
    mutating func add(_ epoch: Epoch) {
        let components = epoch.joules.count
        if bins.isEmpty || bins[bins.count - 1].epochs >= width {
            if bins.count == capacity { mergePairs() }
            if bins.isEmpty || bins[bins.count - 1].epochs >= width {
                bins.append(Bin(epoch: epoch.number, components: components))
            }
        }
        epochs += 1
        let last = bins.count - 1
        bins[last].widen(to: components)
        bins[last].lastEpoch = epoch.number
        bins[last].epochs += 1
        bins[last].durationSeconds += epoch.durationSeconds
        var total = 0.0
        for index in 0..<components {
            if let joules = epoch.joules[index] {
                bins[last].joules[index] += joules
                bins[last].hasJoules[index] = true
                total += joules
            }
            if let watts = epoch.watts[index] {
                bins[last].wattsSum[index] += watts
                bins[last].wattsCount[index] += 1
                bins[last].wattsMinimum[index] = min(bins[last].wattsMinimum[index], watts)
                bins[last].wattsMaximum[index] = max(bins[last].wattsMaximum[index], watts)
            }
        }
        bins[last].epochJoulesMinimum = min(bins[last].epochJoulesMinimum, total)
        bins[last].epochJoulesMaximum = max(bins[last].epochJoulesMaximum, total)
        if let range = epoch.energyKilowattHoursRange {
            bins[last].energyLowKilowattHours += range.lowerBound
            bins[last].energyHighKilowattHours += range.upperBound
            bins[last].rangedEpochs += 1
        }
        if let range = epoch.co2eqGramsRange {
            bins[last].co2LowGrams += range.lowerBound
            bins[last].co2HighGrams += range.upperBound
            bins[last].co2RangedEpochs += 1
        }
    }

    /// Halves the number of bins by merging neighbours; the width doubles.
    private mutating func mergePairs() {
        var merged: [Bin] = []
        merged.reserveCapacity(capacity)
        var index = 0
        while index < bins.count {
            var bin = bins[index]
            if index + 1 < bins.count { bin.merge(bins[index + 1]) }
            merged.append(bin)
            index += 2
        }
        bins = merged
        width *= 2
    }
}
