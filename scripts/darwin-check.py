#!/usr/bin/env python3
"""Reads the package's Swift files as the macOS compiler would and lists what would not build or run there.

No Mac is at hand, so this stands in for one: for each Swift file it keeps only the lines that the macOS
compiler would see (the `#if` branches active on macOS, for arm64 and x86_64, with the package's own
compilation flags both unset and set), drops comments, and then fails on

- glibc-only names and constants (`st_mtim`, `__sigaction_handler`, `SI_KERNEL`, `MSG_NOSIGNAL`,
  `SOCK_STREAM.rawValue`, `import Glibc`, value initialisers of types that are pointers on Darwin, ...),
- Linux-only calls and paths (`prctl`, `epoll_*`, `inotify_*`, `sched_getaffinity`, "/proc/", "/sys/", ...),
- APIs newer than the macOS floor declared in Package.swift (`platforms: [.macOS(.v13)]`) used outside an
  `if #available`, `guard #available` or `@available` scope that raises it.

Usage: scripts/darwin-check.py [--root DIR] [FILE_OR_DIR ...]
Exit status 0 when nothing was found, 1 with one line per finding ("file:line: [class] why"), 2 on bad use.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
from dataclasses import dataclass, field

DEFAULT_FOLDERS = ["Sources", "Tests", "Examples", "Benchmarks", "Fuzz"]

# Modules that `canImport` finds on macOS are all except these (Linux, Android, Windows and WASI C
# libraries, and the swift-corelibs-foundation parts that Apple's Foundation does not split out).
NOT_IMPORTABLE_ON_MACOS = {
    "Glibc", "Musl", "Bionic", "Android", "WinSDK", "WASILibc", "CRT", "ucrt",
    "FoundationNetworking", "FoundationXML", "FoundationEssentials", "FoundationInternationalization",
}

# --- rules ----------------------------------------------------------------------------------------------
# Each rule: (class, compiled pattern, why). Patterns match code with comments removed and the contents
# of string literals blanked, except the path rules, which match string-literal contents only.


def _word(name: str) -> str:
    return r"(?<![A-Za-z0-9_])" + name + r"(?![A-Za-z0-9_])"


GLIBC_NAMES = [
    # struct stat's time fields: glibc names them st_?tim; Darwin st_?timespec.
    ("st_mtim", "glibc's stat field; Darwin's is st_mtimespec"),
    ("st_atim", "glibc's stat field; Darwin's is st_atimespec"),
    ("st_ctim", "glibc's stat field; Darwin's is st_ctimespec"),
    # sigaction's handler union: glibc names it __sigaction_handler, Darwin __sigaction_u.
    ("__sigaction_handler", "glibc's sigaction union; Darwin's is __sigaction_u (__sa_handler, __sa_sigaction)"),
    ("__errno_location", "glibc's errno accessor; use errno"),
    ("program_invocation_name", "a glibc global; use CommandLine.arguments[0] or getprogname()"),
    ("__socket_type", "glibc's socket-type enum; Darwin's SOCK_* are plain Int32"),
    ("Glibc", "the glibc module does not exist on macOS; import Darwin there"),
    ("Musl", "the musl module does not exist on macOS; import Darwin there"),
]

GLIBC_CONSTANTS = [
    ("SI_KERNEL", "Linux's si_code for kernel-sent signals; Darwin has no equivalent (compare si_pid with 0)"),
    # The macOS headers bundled with zig define MSG_NOSIGNAL, but it is not known which SDKs first did;
    # the socket option SO_NOSIGPIPE is macOS's long-standing way, so Darwin branches use that.
    ("MSG_NOSIGNAL", "Linux's send flag, not in every macOS SDK; on Darwin set the socket option SO_NOSIGPIPE "
     "instead"),
    ("SOCK_CLOEXEC", "Linux's socket type flag; on Darwin set FD_CLOEXEC with fcntl after socket()"),
    ("SOCK_NONBLOCK", "Linux's socket type flag; on Darwin set O_NONBLOCK with fcntl after socket()"),
    ("O_TMPFILE", "Linux's open flag; on Darwin create a file with mkstemp and unlink it"),
    ("O_PATH", "Linux's open flag; Darwin has no equivalent"),
    ("O_DIRECT", "Linux's open flag; on Darwin use fcntl(F_NOCACHE)"),
    ("O_LARGEFILE", "Linux's open flag; not needed on Darwin"),
    ("O_NOATIME", "Linux's open flag; Darwin has no equivalent"),
    ("PR_SET_PDEATHSIG", "Linux's prctl option; Darwin has no parent-death signal (watch the parent with kqueue)"),
    ("PR_SET_NAME", "Linux's prctl option; use pthread_setname_np on Darwin"),
    ("CLOCK_BOOTTIME", "Linux's clock; Darwin's is CLOCK_MONOTONIC"),
    ("POLLRDHUP", "Linux's poll event; Darwin reports POLLHUP"),
    ("MAP_POPULATE", "Linux's mmap flag"),
    ("SIGRTMIN", "real-time signals do not exist on Darwin"),
    ("SIGRTMAX", "real-time signals do not exist on Darwin"),
    ("SIGPWR", "Linux-only signal"),
    ("SIGSTKFLT", "Linux-only signal"),
    ("EBADFD", "Linux-only errno value; Darwin uses EBADF"),
    ("SO_PEERCRED", "Linux's socket option; Darwin's is LOCAL_PEERCRED with SOL_LOCAL"),
    ("AF_NETLINK", "netlink sockets exist only on Linux"),
    ("AF_PACKET", "packet sockets exist only on Linux"),
    ("__WALL", "Linux's waitpid flag"),
]

# Types that are structs on Linux and pointers on Darwin: an empty initialiser does not compile there.
POINTER_TYPES_ON_DARWIN = [
    ("posix_spawn_file_actions_t", "a pointer on Darwin with no initialiser; declare it "
     "`posix_spawn_file_actions_t?` = nil on Darwin (a struct on Linux) and call posix_spawn_file_actions_init"),
    ("posix_spawnattr_t", "a pointer on Darwin with no initialiser; declare it `posix_spawnattr_t?` = nil on "
     "Darwin (a struct on Linux) and call posix_spawnattr_init"),
    ("pthread_t", "a non-optional pointer on Darwin; declare `pthread_t?` there"),
]

LINUX_CALLS = [
    "prctl", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_event",
    "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "inotify_event",
    "sched_getaffinity", "sched_setaffinity", "sched_getcpu", "cpu_set_t", "CPU_SET", "CPU_ZERO", "CPU_ISSET",
    "CPU_COUNT", "get_nprocs", "get_nprocs_conf", "gettid", "accept4", "memfd_create",
    "eventfd", "timerfd_create", "timerfd_settime", "signalfd", "getauxval", "sysinfo", "statx",
    "malloc_usable_size", "mallinfo", "mallinfo2", "malloc_trim", "secure_getenv", "unshare", "setns",
    "pidfd_open", "pidfd_send_signal", "copy_file_range", "fallocate", "posix_fadvise", "sync_file_range",
    "renameat2", "getrandom", "clock_nanosleep", "timer_create", "sem_timedwait", "sigtimedwait",
    "sigwaitinfo", "pthread_getattr_np", "pthread_timedjoin_np", "pthread_tryjoin_np", "mremap",
    "dl_iterate_phdr", "sendmmsg", "recvmmsg", "syncfs", "ppoll", "getdents64", "personality",
]

# Paths that exist only on Linux, found at the start of a string literal (a path the code opens, not a
# message that names one).
LINUX_PATHS = [
    ("/proc/", "procfs exists only on Linux; use sysctl/libproc on Darwin"),
    ("/sys/", "sysfs exists only on Linux; use sysctl/IOKit on Darwin"),
    ("/dev/shm", "Linux's shared-memory mount; Darwin has none (use shm_open)"),
    ("/run/", "a Linux runtime directory; Darwin uses /var/run"),
    ("/etc/os-release", "a Linux distribution file"),
    ("/usr/lib/x86_64-linux-gnu", "a Debian multiarch directory"),
    ("/usr/bin/flock", "util-linux's flock(1) is not part of macOS; call flock(2) from a helper program"),
    ("/usr/bin/setsid", "util-linux's setsid(1) is not part of macOS; call setsid(2) in the child"),
    ("/usr/bin/taskset", "util-linux's taskset(1) is not part of macOS"),
    ("/usr/bin/timeout", "coreutils' timeout(1) is not part of macOS"),
    ("/sbin/ldconfig", "glibc's ldconfig is not part of macOS"),
    ("/usr/bin/ldd", "glibc's ldd is not part of macOS; use otool -L"),
]

# API -> macOS version that introduced it. Matched in code outside a scope that guarantees the version.
NEWER_APIS = [
    (r"String\s*\(\s*validating\s*:", "String(validating:as:)", (15, 0)),
    (r"(?<![A-Za-z0-9_.])Mutex\s*[<(]", "Mutex (Synchronization)", (15, 0)),
    (r"(?<![A-Za-z0-9_.])Atomic\s*[<(]", "Atomic (Synchronization)", (15, 0)),
    (r"\bAtomicLazyReference\s*<", "AtomicLazyReference (Synchronization)", (15, 0)),
    (r"\b(?:U?Int128)\b", "Int128/UInt128", (15, 0)),
    (r"\bwithTaskExecutorPreference\b", "withTaskExecutorPreference", (15, 0)),
    (r"\bTaskExecutor\b", "TaskExecutor", (15, 0)),
    (r"\bInlineArray\b", "InlineArray", (26, 0)),
    (r"\bUTF8Span\b", "UTF8Span", (26, 0)),
    (r"\bTask\s*\.\s*immediate\b", "Task.immediate", (26, 0)),
    (r"\bwithDiscardingTaskGroup\b", "withDiscardingTaskGroup", (14, 0)),
    (r"\bwithThrowingDiscardingTaskGroup\b", "withThrowingDiscardingTaskGroup", (14, 0)),
    (r"@Observable\b", "@Observable (Observation)", (14, 0)),
    (r"\bURL\s*\(\s*filePath\s*:", "URL(filePath:)", (13, 0)),
    (r"\.\s*appending\s*\(\s*(?:path|component|components)\s*:", "URL.appending(path:/component:)", (13, 0)),
    (r"\bURL\s*\.\s*(?:currentDirectory|homeDirectory|temporaryDirectory|cachesDirectory)\b",
     "URL.currentDirectory/homeDirectory/temporaryDirectory", (13, 0)),
    (r"\.\s*path\s*\(\s*percentEncoded\s*:", "URL.path(percentEncoded:)", (13, 0)),
    (r"\b(?:ContinuousClock|SuspendingClock)\b", "ContinuousClock/SuspendingClock", (13, 0)),
    (r"(?<![A-Za-z0-9_.])Duration\b", "Duration", (13, 0)),
    (r"\bTask\s*\.\s*sleep\s*\(\s*(?:for|until)\s*:", "Task.sleep(for:/until:)", (13, 0)),
    (r"(?<![A-Za-z0-9_.])Regex\s*[<(]", "Regex", (13, 0)),
    (r"\.\s*(?:wholeMatch|firstMatch|prefixMatch|trimmingPrefix)\s*\(", "Regex string algorithms", (13, 0)),
    (r"\bOSAllocatedUnfairLock\b", "OSAllocatedUnfairLock", (13, 0)),
    # Linux calls that macOS's libc gained late (sys/unistd.h marks them macos(27.0)).
    (r"(?<![A-Za-z0-9_.])pipe2\s*\(", "pipe2", (27, 0)),
    (r"(?<![A-Za-z0-9_.])dup3\s*\(", "dup3", (27, 0)),
]


@dataclass
class Finding:
    path: str
    line: int
    kind: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.kind}] {self.why}"


# --- lexing ---------------------------------------------------------------------------------------------


def split_code_and_strings(text: str) -> tuple[list[str], list[list[str]]]:
    """Per line: the code with comments removed and string contents blanked, and the string contents.

    Handles `//` and nested `/* */` comments, "..." and \"\"\"...\"\"\" literals, raw strings (#"..."#)
    and interpolations (\\( ... ), which are code).
    """
    code: list[str] = []
    strings: list[list[str]] = [[]]
    out: list[str] = []
    current_string: list[str] = []
    i, n = 0, len(text)
    # Mode stack: ("code", paren_depth) or ("string", quote, hashes, multiline).
    stack: list[tuple] = [("code", 0)]
    comment_depth = 0

    def newline() -> None:
        code.append("".join(out))
        out.clear()
        if current_string:
            strings[-1].append("".join(current_string))
            current_string.clear()
        strings.append([])

    while i < n:
        c = text[i]
        mode = stack[-1]
        if comment_depth:
            if text.startswith("*/", i):
                comment_depth -= 1
                i += 2
            elif text.startswith("/*", i):
                comment_depth += 1
                i += 2
            else:
                if c == "\n":
                    newline()
                i += 1
            continue
        if mode[0] == "code":
            if c == "\n":
                newline()
                i += 1
            elif text.startswith("//", i):
                while i < n and text[i] != "\n":
                    i += 1
            elif text.startswith("/*", i):
                comment_depth = 1
                i += 2
            elif c == "#" or c == '"':
                m = re.match(r'(#*)("""|")', text[i:])
                if m and (c == '"' or m.group(1)):
                    hashes, quote = m.group(1), m.group(2)
                    out.append(hashes + quote)
                    stack.append(("string", quote, hashes))
                    i += m.end()
                else:
                    out.append(c)
                    i += 1
            elif c == "(":
                stack[-1] = ("code", mode[1] + 1)
                out.append(c)
                i += 1
            elif c == ")":
                if mode[1] == 0 and len(stack) > 1:
                    # End of an interpolation: back into the string.
                    stack.pop()
                    out.append(")")
                else:
                    stack[-1] = ("code", mode[1] - 1)
                    out.append(c)
                i += 1
            else:
                out.append(c)
                i += 1
        else:
            _, quote, hashes = mode
            closing = quote + hashes
            if text.startswith(closing, i):
                if current_string:
                    strings[-1].append("".join(current_string))
                    current_string.clear()
                out.append(closing)
                stack.pop()
                i += len(closing)
            elif text.startswith("\\" + hashes + "(", i):
                if current_string:
                    strings[-1].append("".join(current_string))
                    current_string.clear()
                out.append("\\(")
                stack.append(("code", 0))
                i += len(hashes) + 2
            elif c == "\\" and not hashes:
                current_string.append(text[i:i + 2])
                out.append("  ")
                i += 2
            elif c == "\n":
                newline()
                i += 1
                if quote == '"':
                    stack.pop()  # an unterminated single-line string: resynchronise
            else:
                current_string.append(c)
                out.append(" ")
                i += 1
    newline()
    return code, strings


# --- #if evaluation -------------------------------------------------------------------------------------


@dataclass
class Configuration:
    arch: str
    flags_defined: bool

    def describe(self) -> str:
        return f"macOS {self.arch}" + (", package flags set" if self.flags_defined else "")


class ConditionError(ValueError):
    pass


def evaluate(condition: str, config: Configuration) -> bool:
    """Evaluates a `#if` condition as the macOS compiler would for `config`."""
    tokens = re.findall(r"\|\||&&|!|\(|\)|[A-Za-z_][A-Za-z0-9_]*\s*\([^()]*\)|[A-Za-z_][A-Za-z0-9_]*", condition)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ConditionError(f"unexpected end of condition: {condition!r}")
        token = tokens[position]
        position += 1
        return token

    def atom() -> bool:
        token = take()
        if token == "!":
            return not atom()
        if token == "(":
            value = disjunction()
            if take() != ")":
                raise ConditionError(f"unbalanced parentheses: {condition!r}")
            return value
        call = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)", token)
        if call:
            name, argument = call.group(1), call.group(2).strip()
            first = argument.split(",")[0].strip()
            if name == "os":
                return first in ("macOS", "OSX")
            if name == "arch":
                return first == config.arch
            if name == "canImport":
                return first not in NOT_IMPORTABLE_ON_MACOS
            if name == "targetEnvironment":
                return False
            if name == "_runtime":
                return first == "_ObjC"
            if name == "_endian":
                return first == "little"
            if name == "_pointerBitWidth":
                return first == "_64"
            if name in ("compiler", "swift", "hasFeature", "hasAttribute", "_hasAtomicBitWidth"):
                return True
            raise ConditionError(f"unknown condition {name}(...) in {condition!r}")
        if token == "true":
            return True
        if token == "false":
            return False
        return config.flags_defined  # a compilation flag such as DEBUG or the package's own

    def conjunction() -> bool:
        value = atom()
        while peek() == "&&":
            take()
            value = atom() and value
        return value

    def disjunction() -> bool:
        value = conjunction()
        while peek() == "||":
            take()
            value = conjunction() or value
        return value

    result = disjunction()
    if position != len(tokens):
        raise ConditionError(f"cannot read condition {condition!r}")
    return result


DIRECTIVE = re.compile(r"^\s*#(if|elseif|else|endif)\b(.*)$")


def active_lines(code: list[str], config: Configuration, path: str) -> list[bool]:
    """For each line, whether the macOS compiler in `config` sees it (directive lines are not seen)."""
    active: list[bool] = []
    # Stack entries: [enclosing_active, branch_taken_already, this_branch_active]
    stack: list[list[bool]] = []
    for number, line in enumerate(code, 1):
        match = DIRECTIVE.match(line)
        enclosing = all(entry[2] for entry in stack)
        if not match:
            active.append(enclosing)
            continue
        active.append(False)
        keyword, rest = match.group(1), match.group(2).strip()
        try:
            if keyword == "if":
                value = evaluate(rest, config)
                stack.append([enclosing, value, value])
            elif keyword == "elseif":
                if not stack:
                    raise ConditionError("#elseif without #if")
                entry = stack[-1]
                value = not entry[1] and evaluate(rest, config)
                entry[1] = entry[1] or value
                entry[2] = value
            elif keyword == "else":
                if not stack:
                    raise ConditionError("#else without #if")
                entry = stack[-1]
                entry[2] = not entry[1]
                entry[1] = True
            else:
                if not stack:
                    raise ConditionError("#endif without #if")
                stack.pop()
        except ConditionError as error:
            raise ConditionError(f"{path}:{number}: {error}") from None
    if stack:
        raise ConditionError(f"{path}: #if without #endif")
    return active


# --- availability scopes --------------------------------------------------------------------------------

AVAILABILITY = re.compile(
    r"(?P<kind>#available|@available|#unavailable)\s*\(\s*(?:macOS|OSX)\s*(?:,\s*introduced\s*:\s*)?"
    r"(?P<version>\d+(?:\.\d+)*)"
)


def version_tuple(text: str) -> tuple[int, int]:
    parts = [int(part) for part in text.split(".")] + [0]
    return (parts[0], parts[1])


def guaranteed_versions(
    code: list[str], active: list[bool], floor: tuple[int, int]
) -> list[list[tuple[int, tuple[int, int]]]]:
    """For each line, where the macOS version that code may assume changes: (column, version) pairs.

    The version starts at the floor. `if #available(macOS N, *) {`, `while #available` and
    `@available(macOS N, *)` before a declaration raise it inside the next brace block;
    `guard #available(macOS N, *) else { ... }` raises it for the rest of the enclosing block.
    """
    result: list[list[tuple[int, tuple[int, int]]]] = []
    depth = 0
    scopes: list[tuple[int, tuple[int, int]]] = []  # (depth the scope lives at, version)
    pending: tuple[int, int] | None = None

    def current() -> tuple[int, int]:
        return max([floor] + [version for _, version in scopes])

    for line, is_active in zip(code, active):
        points = [(0, current())]
        result.append(points)
        if not is_active:
            continue
        for token in re.finditer(r"[{}]|" + AVAILABILITY.pattern, line):
            if token.group(0) == "{":
                depth += 1
                if pending is not None:
                    scopes.append((depth, pending))
                    pending = None
            elif token.group(0) == "}":
                depth -= 1
                while scopes and depth < scopes[-1][0]:
                    scopes.pop()
            else:
                version = version_tuple(token.group("version"))
                if token.group("kind") == "#unavailable":
                    continue  # `if #unavailable` raises nothing in its own block
                if re.search(r"\bguard\s*$", line[: token.start()]):
                    scopes.append((depth, version))
                else:
                    pending = version
            points.append((token.end(), current()))
    return result


def version_at(points: list[tuple[int, tuple[int, int]]], column: int) -> tuple[int, int]:
    version = points[0][1]
    for start, value in points:
        if start > column:
            break
        version = value
    return version


def read_floor(root: str) -> tuple[int, int]:
    """The macOS deployment floor declared in Package.swift's `platforms:`."""
    with open(os.path.join(root, "Package.swift"), encoding="utf-8") as file:
        manifest = file.read()
    match = re.search(r"\.macOS\(\s*(?:\.v(\d+)(?:_(\d+))?|\"(\d+(?:\.\d+)*)\")\s*\)", manifest)
    if not match:
        return (10, 13)  # SwiftPM's default floor for a package without platforms:
    if match.group(3):
        return version_tuple(match.group(3))
    return (int(match.group(1)), int(match.group(2) or 0))


# --- checking -------------------------------------------------------------------------------------------


def _compile_rules():
    rules = []
    for name, why in GLIBC_NAMES:
        rules.append(("glibc name", re.compile(_word(name)), f"`{name}`: {why}"))
    for name, why in GLIBC_CONSTANTS:
        rules.append(("glibc constant", re.compile(_word(name)), f"`{name}`: {why}"))
    rules.append((
        "glibc constant",
        re.compile(r"\bSOCK_(?:STREAM|DGRAM|RAW|SEQPACKET)\s*\.\s*rawValue\b"),
        "`SOCK_*.rawValue`: glibc imports socket types as an enum; on Darwin they are Int32 (use Int32(SOCK_STREAM) "
        "behind a platform file or #if)",
    ))
    for name, why in POINTER_TYPES_ON_DARWIN:
        rules.append(("glibc name", re.compile(_word(name) + r"\s*\(\s*\)"), f"`{name}()`: {why}"))
    rules.append((
        "Linux-only call",
        re.compile(r"\bpthread_setname_np\s*\(\s*pthread_self\s*\(\s*\)\s*,"),
        "`pthread_setname_np(thread, name)`: Darwin's takes only the name and names the calling thread",
    ))
    for name in LINUX_CALLS:
        rules.append(("Linux-only call", re.compile(_word(name)), f"`{name}` exists only on Linux"))
    return rules


RULES = _compile_rules()
NEWER = [(re.compile(pattern), name, version) for pattern, name, version in NEWER_APIS]


def check_text(path: str, text: str, floor: tuple[int, int]) -> list[Finding]:
    """The findings for one Swift file's text, deduplicated over the macOS configurations."""
    code, strings = split_code_and_strings(text)
    found: dict[tuple[int, str], Finding] = {}
    configurations = [
        Configuration(arch, flags) for arch, flags in itertools.product(["arm64", "x86_64"], [False, True])
    ]
    for config in configurations:
        active = active_lines(code, config, path)
        versions = guaranteed_versions(code, active, floor)
        for index, line in enumerate(code):
            if not active[index]:
                continue
            number = index + 1
            for kind, pattern, why in RULES:
                if pattern.search(line):
                    found.setdefault((number, why), Finding(path, number, kind, why))
            for literal in strings[index]:
                for fragment, why in LINUX_PATHS:
                    # A literal that is a path (starts with it), not a sentence that mentions one.
                    if literal.startswith(fragment):
                        message = f'"{literal}": {why}'
                        found.setdefault((number, message), Finding(path, number, "Linux-only path", message))
            for pattern, name, introduced in NEWER:
                match = pattern.search(line)
                if match and version_at(versions[index], match.start()) < introduced:
                    message = (
                        f"`{name}` needs macOS {introduced[0]}.{introduced[1]}; the floor is "
                        f"{floor[0]}.{floor[1]} and no #available/@available raises it here"
                    )
                    found.setdefault((number, message), Finding(path, number, "newer than floor", message))
    return sorted(found.values(), key=lambda finding: (finding.line, finding.kind, finding.why))


def swift_files(root: str, targets: list[str]) -> list[str]:
    files = []
    for target in targets:
        path = target if os.path.isabs(target) else os.path.join(root, target)
        if os.path.isfile(path):
            files.append(path)
            continue
        for directory, subdirectories, names in os.walk(path):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            files += [os.path.join(directory, name) for name in sorted(names) if name.endswith(".swift")]
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                        help="the package root (holds Package.swift)")
    parser.add_argument("paths", nargs="*", help=f"files or folders (default: {' '.join(DEFAULT_FOLDERS)})")
    arguments = parser.parse_args(argv)
    root = os.path.normpath(arguments.root)
    try:
        floor = read_floor(root)
    except OSError as error:
        print(f"darwin-check: cannot read {root}/Package.swift ({error}); pass --root", file=sys.stderr)
        return 2
    targets = arguments.paths or [folder for folder in DEFAULT_FOLDERS if os.path.isdir(os.path.join(root, folder))]
    files = swift_files(root, targets)
    findings: list[Finding] = []
    for path in files:
        shown = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as file:
                findings += check_text(shown, file.read(), floor)
        except ConditionError as error:
            findings.append(Finding(shown, 0, "unreadable #if", str(error)))
    for finding in findings:
        print(finding)
    print(
        f"darwin-check: {len(files)} Swift files read as macOS {floor[0]}.{floor[1]} (arm64, x86_64) would; "
        f"{len(findings)} finding(s)",
        file=sys.stderr,
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
