"""``python -m tkiseq.align.samtools_cli <command> <args>``: one command of pysam's bundled
samtools as a process of its own, so that commands can be joined by pipes (pysam runs samtools
inside the calling process, which cannot stream one command into the next)."""

from __future__ import annotations

import sys

import pysam


def main(argv: list[str]) -> int:
    """Run ``samtools <argv>``; a failure is one line on stderr and exit status 1."""
    try:
        getattr(pysam.samtools, argv[0])(*argv[1:], catch_stdout=False)
    except pysam.utils.SamtoolsError as exc:
        print(f"samtools {argv[0]}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
