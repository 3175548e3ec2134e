"""Command line entry point `cosine-spec`: a thin dispatcher, the work lives in the modules it names."""

from __future__ import annotations

import sys

USAGE = """usage: cosine-spec COMMAND [ARGS]

commands:
  check TARGET   hold an implementation against the spec (see `cosine-spec check --help`)
  golden         write the golden data from the oracle; `golden --check` regenerates and compares
  matrix [T..]   the conformance matrix of every installed built-in target (see `cosine-spec matrix --help`)
  bench oracle   print the oracle's throughput next to naive mpmath and float64 numpy evaluations
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "golden":
        from cosine_spec.conf.golden_cli import cli_main

        return cli_main(rest)
    if command == "bench":
        from cosine_spec.conf.bench_oracle import main as bench_main

        return bench_main(rest)
    if command == "matrix":
        from cosine_spec.conf.matrix import cli_main as matrix_main

        return matrix_main(rest)
    if command == "check":
        from cosine_spec.conf.check_cli import cli_main as check_main

        return check_main(rest)
    print(
        f"cosine-spec: unknown command {command!r}; the commands are check, matrix, golden, bench.\n\n{USAGE}",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
