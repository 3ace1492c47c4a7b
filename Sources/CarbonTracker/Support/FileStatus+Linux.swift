#if os(Linux)
    import Glibc

    extension stat {
        /// The last modification time (glibc's `st_mtim`).
        var modificationTime: timespec { st_mtim }
    }
#endif
