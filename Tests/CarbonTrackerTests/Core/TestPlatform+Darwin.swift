#if canImport(Darwin)
    import Darwin

    /// Darwin's spellings of the C types and constants the tests use directly.
    enum TestPlatform {
        /// `SOCK_STREAM` as `socket(2)` takes it (a plain `Int32` on Darwin).
        static let streamSocket = SOCK_STREAM

        /// File actions for `posix_spawn_file_actions_init`, which allocates them (a pointer on Darwin).
        static func spawnFileActions() -> posix_spawn_file_actions_t? { nil }

        /// Attributes for `posix_spawnattr_init`, which allocates them (a pointer on Darwin).
        static func spawnAttributes() -> posix_spawnattr_t? { nil }
    }
#endif
