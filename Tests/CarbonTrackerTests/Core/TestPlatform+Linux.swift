#if os(Linux)
    import Glibc

    /// glibc's spellings of the C types and constants the tests use directly.
    enum TestPlatform {
        /// `SOCK_STREAM` as `socket(2)` takes it (glibc imports socket types as an enum).
        static let streamSocket = Int32(SOCK_STREAM.rawValue)

        /// File actions for `posix_spawn_file_actions_init` (a struct on glibc).
        static func spawnFileActions() -> posix_spawn_file_actions_t { posix_spawn_file_actions_t() }

        /// Attributes for `posix_spawnattr_init` (a struct on glibc).
        static func spawnAttributes() -> posix_spawnattr_t { posix_spawnattr_t() }
    }
#endif
