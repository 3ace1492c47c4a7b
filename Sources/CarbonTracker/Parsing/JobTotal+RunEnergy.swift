extension LogParser.JobTotal {
    /// A job's energy per component so far, in the order its runs' epochs first named the components.
    ///
    /// Logs name one to three components, so a name is found by a look along the list, which is cheaper
    /// than hashing it once per epoch.
    struct ComponentJoules: Sendable, Equatable {
        /// The components, in the order they were first counted.
        private(set) var names: [String] = []
        /// Each component's energy in joules, without PUE, at the place of its name.
        private(set) var joules: [Double] = []

        /// The energy counted for `name` so far, in joules; `nil` when none was.
        subscript(name: String) -> Double? {
            names.firstIndex(of: name).map { joules[$0] }
        }

        /// Sets the energy of `name` in joules, giving a name first counted the next place.
        mutating func set(_ name: String, joules value: Double) {
            if let index = names.firstIndex(of: name) {
                joules[index] = value
            } else {
                names.append(name)
                joules.append(value)
            }
        }
    }

    /// The PUE factor a run's energy is multiplied by: the one its log names when that is a positive
    /// number, else the default factor.
    /// - Parameter logged: The factor the log names, if any.
    /// - Returns: The factor to use.
    static func effectivePUE(logged: Double?) -> Double {
        let pue = logged ?? powerUsageEffectiveness
        return pue.isFinite && pue > 0 ? pue : powerUsageEffectiveness
    }

    /// One run's part of a job's total, added up one epoch at a time: the energy counted, the figures
    /// left out and the bounds of its epochs.
    ///
    /// ```swift
    /// var components = LogParser.JobTotal.ComponentJoules()
    /// var run = LogParser.JobTotal.RunEnergy(powerUsageEffectiveness: 1.58)
    /// for epoch in log.epochs { run.add(epoch, to: &components) }
    /// run.joules   // the run's energy, without PUE
    /// ```
    ///
    /// Figures that are NaN, infinite or negative, or that would overflow a total, are left out and
    /// counted in ``leftOut``, so one corrupt log cannot poison or cancel its job. Epochs must be added
    /// in log order, since floating-point sums depend on it. Cost: a few additions per epoch.
    struct RunEnergy: Sendable, Equatable {
        /// The run's PUE factor, which the overflow checks multiply by.
        let powerUsageEffectiveness: Double
        /// The energy counted in joules, without PUE.
        private(set) var joules = 0.0
        /// Durations and energies left out.
        private(set) var leftOut = 0
        /// The epochs counted that logged bounds.
        private(set) var bounds = JobBounds.Run()

        /// Creates a run with nothing counted.
        /// - Parameter pue: The run's PUE factor.
        init(powerUsageEffectiveness pue: Double) {
            powerUsageEffectiveness = pue
        }

        /// Counts an epoch: each component's energy in log order, when the epoch has a usable duration.
        /// - Parameters:
        ///   - epoch: The next epoch in log order.
        ///   - components: The job's energy per component, which the epoch's energy is added to.
        mutating func add(_ epoch: LogParser.Epoch, to components: inout ComponentJoules) {
            guard let duration = epoch.durationSeconds else { return }
            guard LogValue.usable(duration) else {
                leftOut += 1
                return
            }
            let before = joules
            for component in epoch.components {
                add(
                    component.name, joules: component.energyJoules(durationSeconds: duration), to: &components
                )
            }
            bounds.add(epoch, joules: joules - before)
        }

        /// Counts one component's energy, unless it is unusable or would overflow a total.
        /// - Parameters:
        ///   - name: The component ("gpu", "cpu").
        ///   - value: Its energy in joules, without PUE.
        ///   - components: The job's energy per component, which `value` is added to.
        mutating func add(_ name: String, joules value: Double, to components: inout ComponentJoules) {
            let component = (components[name] ?? 0) + value
            guard LogValue.usable(value), component.isFinite,
                ((joules + value) * powerUsageEffectiveness).isFinite
            else {
                leftOut += 1
                return
            }
            components.set(name, joules: component)
            joules += value
        }
    }

    /// The part of a job's total that a run counted alone would have from its epochs, added up while
    /// its log is read, so that a run killed before its final report is counted without keeping its
    /// epochs.
    ///
    /// ```swift
    /// var fold = LogParser.JobTotal.RunFold()
    /// for epoch in finishedEpochs { fold.add(epoch, powerUsageEffectiveness: log.powerUsageEffectiveness) }
    /// fold.counts(underLogged: log.powerUsageEffectiveness)   // whether `build` may start from it
    /// ```
    ///
    /// Cost: that of ``RunEnergy``, per epoch.
    struct RunFold: Sendable, Equatable {
        /// The energy of the epochs added; `nil` before the first.
        private(set) var run: RunEnergy?
        /// Their energy per component, as a job of this run alone counts it.
        private(set) var components = ComponentJoules()
        /// Whether an epoch was added under another PUE factor than the first (the log named one
        /// after its first epochs), which makes the fold unusable.
        private var mixesFactors = false

        /// Creates a fold with no epoch.
        init() {}

        /// Adds the epoch after the ones added so far.
        /// - Parameters:
        ///   - epoch: The next epoch in log order.
        ///   - logged: The PUE factor the log named so far, if any.
        mutating func add(_ epoch: LogParser.Epoch, powerUsageEffectiveness logged: Double?) {
            let pue = LogParser.JobTotal.effectivePUE(logged: logged)
            var energy = run ?? RunEnergy(powerUsageEffectiveness: pue)
            if energy.powerUsageEffectiveness != pue { mixesFactors = true }
            energy.add(epoch, to: &components)
            run = energy
        }

        /// Whether the epochs added count as they would in ``LogParser/JobTotal/build(_:)`` for a log
        /// that ends naming `logged` as its PUE factor.
        /// - Parameter logged: The factor the whole log names, if any.
        /// - Returns: `true` when no epoch was added or all were added under that factor.
        func counts(underLogged logged: Double?) -> Bool {
            guard let run else { return true }
            return !mixesFactors
                && run.powerUsageEffectiveness == LogParser.JobTotal.effectivePUE(logged: logged)
        }
    }
}
