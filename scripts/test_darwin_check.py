"""Tests of scripts/darwin-check.py: each class of finding fails the check, and the same code passes where
the macOS compiler would not see it (`#if os(Linux)`) or where `#available` allows it.

Run: python3 -m unittest scripts/test_darwin_check.py   (or pytest scripts/test_darwin_check.py)
"""

import functools
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "darwin-check.py")
_spec = importlib.util.spec_from_file_location("darwin_check", SCRIPT)
darwin_check = importlib.util.module_from_spec(_spec)
sys.modules["darwin_check"] = darwin_check
_spec.loader.exec_module(darwin_check)

FLOOR = (13, 0)


def findings(source: str) -> list:
    return darwin_check.check_text("Test.swift", textwrap.dedent(source), FLOOR)


def kinds(source: str) -> list:
    return [finding.kind for finding in findings(source)]


class GlibcNames(unittest.TestCase):
    def test_st_mtim_fails(self):
        result = findings("""
            func modified(_ info: stat) -> timespec {
                info.st_mtim
            }
            """)
        self.assertEqual([(f.line, f.kind) for f in result], [(3, "glibc name")])
        self.assertIn("st_mtimespec", result[0].why)

    def test_st_mtimespec_passes(self):
        self.assertEqual(kinds("let t = info.st_mtimespec\n"), [])

    def test_sigaction_handler_fails(self):
        self.assertEqual(kinds("action.__sigaction_handler.sa_sigaction = handler\n"), ["glibc name"])

    def test_import_glibc_outside_linux_branch_fails(self):
        self.assertEqual(kinds("import Glibc\n"), ["glibc name"])

    def test_spawn_type_initialisers_fail(self):
        result = kinds("""
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t( )
            """)
        self.assertEqual(result, ["glibc name", "glibc name"])

    def test_glibc_name_inside_linux_branch_passes(self):
        self.assertEqual(kinds("""
            #if os(Linux)
                import Glibc
                let t = info.st_mtim
                var actions = posix_spawn_file_actions_t()
            #else
                let t = info.st_mtimespec
            #endif
            """), [])

    def test_canimport_glibc_branch_is_skipped_and_darwin_branch_read(self):
        result = findings("""
            #if canImport(Glibc)
                let t = info.st_mtim
            #elseif canImport(Darwin)
                let u = info.st_mtim
            #endif
            """)
        self.assertEqual([f.line for f in result], [5])

    def test_negation_and_conjunction(self):
        source = """
            #if !os(Linux) && canImport(Darwin)
                let t = info.st_mtim
            #endif
            #if os(Linux) || os(Android)
                let u = info.st_mtim
            #endif
            """
        self.assertEqual([f.line for f in findings(source)], [3])

    def test_names_in_comments_and_strings_pass(self):
        self.assertEqual(kinds("""
            // glibc calls it st_mtim and uses MSG_NOSIGNAL
            /* __sigaction_handler, /* nested */ SI_KERNEL */
            let message = "st_mtim and epoll_wait are named here, \\(value) not used"
            """), [])


class GlibcConstants(unittest.TestCase):
    def test_si_kernel_fails(self):
        self.assertEqual(kinds("let fromTerminal = info.pointee.si_code == SI_KERNEL\n"), ["glibc constant"])

    def test_msg_nosignal_fails(self):
        self.assertEqual(kinds("send(fd, buffer, count, Int32(MSG_NOSIGNAL))\n"), ["glibc constant"])

    def test_sock_stream_raw_value_fails(self):
        result = findings("let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)\n")
        self.assertEqual([f.kind for f in result], ["glibc constant"])
        self.assertIn("Int32", result[0].why)

    def test_sock_stream_alone_passes(self):
        self.assertEqual(kinds("let fd = socket(AF_INET, SOCK_STREAM, 0)\n"), [])

    def test_constant_in_interpolation_is_code(self):
        self.assertEqual(kinds('let s = "flags: \\(MSG_NOSIGNAL)"\n'), ["glibc constant"])


class LinuxOnlyCallsAndPaths(unittest.TestCase):
    def test_prctl_fails(self):
        self.assertEqual(
            kinds("_ = prctl(PR_SET_PDEATHSIG, UInt(SIGKILL))\n"), ["Linux-only call", "glibc constant"]
        )

    def test_epoll_and_sched_getaffinity_fail(self):
        result = kinds("""
            let poller = epoll_create1(0)
            sched_getaffinity(0, size, &set)
            """)
        self.assertEqual(result, ["Linux-only call", "Linux-only call"])

    def test_proc_path_fails(self):
        result = findings('let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)\n')
        self.assertEqual([f.kind for f in result], ["Linux-only path"])

    def test_sys_path_in_raw_and_multiline_strings_fails(self):
        result = findings('''
            let a = #"/sys/class/powercap"#
            let b = """
            /proc/cpuinfo
            """
            ''')
        self.assertEqual([(f.line, f.kind) for f in result], [(2, "Linux-only path"), (4, "Linux-only path")])

    def test_sentence_naming_a_path_passes(self):
        self.assertEqual(kinds('let why = "mount /sys/class/powercap in the container"\n'), [])

    def test_linux_path_inside_linux_branch_passes(self):
        self.assertEqual(kinds("""
            #if os(Linux)
                static let cpuinfo = "/proc/cpuinfo"
                let poller = epoll_create1(0)
            #endif
            """), [])

    def test_linux_only_tool_fails(self):
        self.assertEqual(kinds('let flock = "/usr/bin/flock"\n'), ["Linux-only path"])


class NewerThanFloor(unittest.TestCase):
    def test_string_validating_fails(self):
        result = findings("let ok = String(validating: bytes, as: UTF8.self) != nil\n")
        self.assertEqual([f.kind for f in result], ["newer than floor"])
        self.assertIn("macOS 15.0", result[0].why)
        self.assertIn("13.0", result[0].why)

    def test_mutex_fails(self):
        self.assertEqual(kinds("let state = Mutex<Int>(0)\n"), ["newer than floor"])

    def test_api_at_the_floor_passes(self):
        self.assertEqual(kinds("let clock = ContinuousClock()\nlet d = Duration.seconds(1)\n"), [])

    def test_api_at_the_floor_fails_below_it(self):
        source = "let clock = ContinuousClock()\n"
        self.assertEqual(
            [f.kind for f in darwin_check.check_text("T.swift", source, (12, 0))], ["newer than floor"]
        )

    def test_inside_if_available_passes(self):
        self.assertEqual(kinds("""
            if #available(macOS 15, *) {
                let ok = String(validating: bytes, as: UTF8.self) != nil
            } else {
                let ok = fallback(bytes)
            }
            """), [])

    def test_else_branch_of_if_available_fails(self):
        result = findings("""
            if #available(macOS 15, *) {
                work()
            } else {
                let ok = String(validating: bytes, as: UTF8.self) != nil
            }
            """)
        self.assertEqual([f.line for f in result], [5])

    def test_too_low_available_fails(self):
        self.assertEqual(kinds("""
            if #available(macOS 14.0, iOS 17, *) {
                let state = Mutex<Int>(0)
            }
            """), ["newer than floor"])

    def test_guard_available_covers_the_rest_of_the_block(self):
        result = findings("""
            func f() {
                guard #available(macOS 15, *) else { return }
                let state = Mutex<Int>(0)
            }
            let other = Mutex<Int>(0)
            """)
        self.assertEqual([f.line for f in result], [6])

    def test_available_attribute_covers_the_declaration(self):
        result = findings("""
            @available(macOS 15, *)
            struct Box {
                let state = Mutex<Int>(0)
            }
            let outside = Mutex<Int>(0)
            """)
        self.assertEqual([f.line for f in result], [6])

    def test_inside_linux_branch_passes(self):
        self.assertEqual(kinds("""
            #if os(Linux)
                let state = Mutex<Int>(0)
            #endif
            """), [])


@functools.lru_cache(maxsize=1)
def darwin_header_identifiers() -> frozenset | None:
    """Every identifier in the macOS libc headers that the `ziglang` package bundles (comments removed),
    or None when ziglang is not installed."""
    try:
        import ziglang
    except ImportError:
        return None
    root = os.path.join(os.path.dirname(ziglang.__file__), "lib", "libc", "include", "any-darwin-any")
    identifiers = set()
    for directory, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".h"):
                continue
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as header:
                text = header.read()
            text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
            text = re.sub(r"//[^\n]*", " ", text)
            identifiers.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return frozenset(identifiers)


@unittest.skipIf(darwin_header_identifiers() is None, "needs the ziglang package (pip install ziglang)")
class ListsAgainstTheMacOSHeaders(unittest.TestCase):
    """The lists are checked against real macOS headers, so a name Darwin has is not flagged by mistake."""

    @classmethod
    def setUpClass(cls):
        cls.darwin = darwin_header_identifiers()

    def test_flagged_c_names_are_absent_from_darwin(self):
        names = [name for name, _ in darwin_check.GLIBC_NAMES if name not in ("Glibc", "Musl")]
        names += [name for name, _ in darwin_check.GLIBC_CONSTANTS if name != "MSG_NOSIGNAL"]
        names += darwin_check.LINUX_CALLS
        self.assertEqual([name for name in names if name in self.darwin], [])

    def test_the_darwin_names_the_messages_suggest_exist(self):
        for name in ["st_mtimespec", "__sigaction_u", "__sa_sigaction", "SO_NOSIGPIPE", "LOCAL_PEERCRED",
                     "F_NOCACHE", "posix_spawn_file_actions_t", "posix_spawnattr_t", "POSIX_SPAWN_SETSID"]:
            self.assertIn(name, self.darwin)

    def test_calls_listed_as_newer_are_declared_for_a_later_macos(self):
        self.assertIn("pipe2", self.darwin)
        self.assertIn("dup3", self.darwin)
        self.assertEqual(kinds("let ok = pipe2(&fds, O_CLOEXEC)\n"), ["newer than floor"])


class Conditions(unittest.TestCase):
    def test_architecture_branches_are_both_read(self):
        result = findings("""
            #if arch(arm64)
                let a = info.st_mtim
            #else
                let b = info.st_mtim
            #endif
            """)
        self.assertEqual([f.line for f in result], [3, 5])

    def test_package_flags_are_read_set_and_unset(self):
        result = findings("""
            #if CARBONTRACKER_LIBFUZZER
                let a = info.st_mtim
            #else
                let b = info.st_mtim
            #endif
            """)
        self.assertEqual([f.line for f in result], [3, 5])

    def test_unbalanced_if_is_an_error(self):
        with self.assertRaises(darwin_check.ConditionError):
            findings("#if os(Linux)\nlet a = 1\n")


class CommandLine(unittest.TestCase):
    def run_check(self, files: dict) -> subprocess.CompletedProcess:
        root = tempfile.mkdtemp()
        with open(os.path.join(root, "Package.swift"), "w") as manifest:
            manifest.write('let package = Package(name: "P", platforms: [.macOS(.v13)])\n')
        for name, text in files.items():
            path = os.path.join(root, "Sources", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as file:
                file.write(textwrap.dedent(text))
        return subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True)

    def test_exit_status_and_listing(self):
        failed = self.run_check({"A/Bad.swift": "let t = info.st_mtim\n", "A/Good.swift": "let x = 1\n"})
        self.assertEqual(failed.returncode, 1)
        self.assertEqual(failed.stdout.strip().splitlines(), [
            "Sources/A/Bad.swift:1: [glibc name] `st_mtim`: glibc's stat field; Darwin's is st_mtimespec"
        ])
        passed = self.run_check({"A/Good.swift": "#if os(Linux)\nlet t = info.st_mtim\n#endif\n"})
        self.assertEqual((passed.returncode, passed.stdout), (0, ""))

    def test_floor_is_read_from_the_manifest(self):
        root = tempfile.mkdtemp()
        with open(os.path.join(root, "Package.swift"), "w") as manifest:
            manifest.write('platforms: [.macOS(.v15), .iOS(.v18)]\n')
        self.assertEqual(darwin_check.read_floor(root), (15, 0))


if __name__ == "__main__":
    unittest.main()
