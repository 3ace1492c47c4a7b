/// Why the better CPU sources were not used, said once when an estimate starts in their place.
enum SkippedCPUSources {
    /// Logs each skipped source's reason: a warning when the user can fix it (an unreadable counter),
    /// a debug line when the hardware is simply absent.
    /// - Parameters:
    ///   - skipped: The sources tried before the estimate.
    ///   - diagnostics: Receives the lines.
    static func report(_ skipped: [any PowerComponent], to diagnostics: any DiagnosticsReporter) {
        for source in skipped {
            guard let reason = source.unavailabilityReason() else { continue }
            let line = "\(source.handlerName) could not measure the CPU: \(reason)"
            if (source as? any ActionableUnavailability)?.unavailabilityIsActionable == true {
                diagnostics.warning(line)
            } else {
                diagnostics.debug(line)
            }
        }
    }
}
