"""No network for the engine threads: a seccomp filter, installed per thread, that denies sockets.

pyoxigraph really performs ``SERVICE`` calls (and would follow whatever a fooled guard let through), so
the guard in :mod:`blackjanuary.query.guard` is not allowed to be the only barrier. Each engine thread
installs, for itself only, a classic-BPF seccomp filter that makes ``socket``, ``socketpair``,
``connect`` and ``io_uring_setup`` fail with ``EPERM``, and denies every syscall made through another
ABI (x32, or 32-bit ``int 0x80`` calls, which could reach ``socketcall``). Without
``SECCOMP_FILTER_FLAG_TSYNC`` a filter set with ``prctl`` binds the calling thread and the threads it
starts later, nothing else: request threads, the remote backend's connection pool and gunicorn keep
their network. A filter cannot be removed, and these threads never run anything but engine work.

Linux on x86-64 and arm64 only; elsewhere :func:`deny_network` returns ``False`` and the caller logs it
(the guard stays). No dependency: the filter is eleven BPF instructions written here, loaded with
``prctl`` through ctypes (see docs/adr, *engine isolation*).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
X32_SYSCALL_BIT = 0x40000000

# BPF opcodes: load word at absolute offset, jump if equal / greater-or-equal (constant), return.
_LD_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_RET = 0x06

# (audit architecture, syscall numbers of socket, socketpair, connect, io_uring_setup)
_ARCHES: dict[str, tuple[int, tuple[int, ...]]] = {
    "x86_64": (0xC000003E, (41, 53, 42, 425)),
    "aarch64": (0xC00000B7, (198, 199, 203, 425)),
}


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _program(arch: int, denied: tuple[int, ...]) -> bytes:
    """The filter: wrong ABI → EPERM; a denied syscall → EPERM; anything else allowed."""
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    code: list[tuple[int, int, int, int]] = [
        (_LD_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ, 1, 0, arch),
        (_RET, 0, 0, deny),
        (_LD_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    last = 4 + 1 + len(denied) + 1  # index of the final "deny"
    code.append((_JGE, last - 5, 0, X32_SYSCALL_BIT))
    for n, nr in enumerate(denied):
        here = 5 + n
        code.append((_JEQ, last - here - 1, 0, nr))
    code.append((_RET, 0, 0, SECCOMP_RET_ALLOW))
    code.append((_RET, 0, 0, deny))
    return b"".join(struct.pack("=HBBI", op, jt, jf, k) for op, jt, jf, k in code)


def supported() -> bool:
    return sys.platform == "linux" and platform.machine() in _ARCHES


def deny_network() -> bool:
    """Install the filter on the calling thread; ``True`` when it is in force.

    Raises nothing: on an unsupported platform, or when the kernel refuses, the answer is ``False``.
    """
    if not supported():
        return False
    arch, denied = _ARCHES[platform.machine()]
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    program = _program(arch, denied)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0)
