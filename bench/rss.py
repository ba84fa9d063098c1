"""Peak resident memory of this process, and resetting it, so a bench can take each step's own peak."""

from __future__ import annotations

import resource


def peak_mib() -> float:
    """The kernel's high-water mark of this process's RSS (since the last :func:`reset_peak`)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Reset the high-water mark to the current RSS (Linux; elsewhere a no-op)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")  # 5: reset the peak RSS to the current RSS
    except OSError:
        pass
