#if canImport(Darwin)
    import Darwin
    import Foundation

    extension CPUModel {
        /// The CPU's name from `sysctl machdep.cpu.brand_string` ("Apple M2 Pro", "Intel(R) Core(TM) i9-9880H
        /// CPU @ 2.30GHz"), or `nil` when the kernel does not say.
        static func systemModelName() -> String? {
            var size = 0
            guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else {
                return nil
            }
            var buffer = [CChar](repeating: 0, count: size)
            guard sysctlbyname("machdep.cpu.brand_string", &buffer, &size, nil, 0) == 0 else { return nil }
            let value = String(cString: buffer).trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
    }
#endif
