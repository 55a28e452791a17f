"""A kernel forked by the fork server, followed through a pidfd as if it were a ``Popen``."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess


class ForkedProcess:
    """A kernel forked by the server, seen as jupyter_client's provisioner sees a Popen.

    It has the part of ``subprocess.Popen`` the provisioner uses (``pid``, ``poll``,
    ``wait``, ``send_signal``, ``kill``, ``terminate``). The kernel is the server's
    child, not ours: we follow it through a pidfd, which becomes readable when the
    process ends. Its exit status stays with the server, so :attr:`returncode` is minus
    the signal we sent it, or -1 when it ended by itself.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid, self._pidfd = pid, pidfd
        self.returncode: int | None = None
        self._signalled = 0

    def poll(self) -> int | None:
        """None while the kernel runs, else its (approximate) return code."""
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self.returncode = -self._signalled if self._signalled else -1
            os.close(self._pidfd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end."""
        if self.returncode is None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
        return self.poll()  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        """Signal the kernel, if it is still running."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signum)
                self._signalled = signum

    def kill(self) -> None:
        """SIGKILL the kernel."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM the kernel."""
        self.send_signal(signal.SIGTERM)
