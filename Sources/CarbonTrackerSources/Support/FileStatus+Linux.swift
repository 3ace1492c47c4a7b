#if os(Linux)
    import Glibc

    extension stat {
        /// The last modification time (glibc's `st_mtim`).
        package var modificationTime: timespec { st_mtim }
    }
#endif
