#if os(Linux)
    extension CPUModel {
        /// Linux names the CPU in the processor description file only, which ``detect(cpuinfoPath:)`` reads.
        static func systemModelName() -> String? { nil }
    }
#endif
