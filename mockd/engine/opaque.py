"""The opaque process: an executable the image has but mockd does not simulate (`python`, `nginx`, `java`, ...).

It is never a host binary. It behaves like a program whose work cannot be seen:
- as a container's own command it keeps running until a signal ends it, with PID 1 semantics (the runtime's
  `Process.kill`: SIGTERM without a handler is ignored, so `docker stop` waits for the timeout and kills,
  137; with `--init` the init forwards the signal, 143); as an exec, a health probe or a build step it ends
  at once with status 0 (those are one-shot commands, and a build or probe must not hang on them);
- an interpreter reading its program from stdin (`python`, `node`, `ruby -`, `irb`, `perl`, `php`, ...: no
  script, no `-c`/`-e` code) reads stdin until end of input and exits 0 — `docker run python` (stdin closed)
  ends at once, `docker run -i python` when the input ends; other opaque programs drain stdin while it is
  open (what an attached client sends is consumed) and print nothing;
- mockd records a finding once per program: "program X is not simulated; script it with a rule".
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from collections.abc import Callable

from .pipe import Pipe

# Interpreters that read a program from stdin when given none, and the options that carry code inline.
INTERPRETERS = {"python": ("-c", "-m"), "pypy": ("-c", "-m"), "node": ("-e", "-p", "--eval", "--print"),
                "nodejs": ("-e", "-p"), "deno": (), "bun": ("-e",), "ruby": ("-e",), "irb": (), "perl": ("-e", "-E"),
                "php": ("-r",), "lua": ("-e",), "tclsh": (), "R": ("-e",), "Rscript": ("-e",), "julia": ("-e",),
                "ghci": (), "erl": ("-eval",), "guile": ("-c",), "jshell": (), "groovysh": ()}
_VERSION = re.compile(r"[\d.]+$")  # python3.12, node20, perl5.36 are the same interpreters


def interpreter_of(name: str) -> str | None:
    base = posixpath.basename(name)
    for candidate in (base, _VERSION.sub("", base)):
        if candidate in INTERPRETERS:
            return candidate
    return None


def reads_program_from_stdin(argv: list[str]) -> bool:
    """Whether this command line is an interpreter with no script and no inline code (so it reads stdin)."""
    interpreter = interpreter_of(argv[0]) if argv else None
    if interpreter is None:
        return False
    inline = INTERPRETERS[interpreter]
    for arg in argv[1:]:
        if arg == "-":
            return True
        if arg in inline or any(arg.startswith(opt) and len(opt) == 2 and len(arg) > 2 for opt in inline):
            return False  # `python -c CODE`, `python -mhttp.server`, `node -e CODE`
        if not arg.startswith("-"):
            return False  # a script file
    return True


def message(program: str) -> str:
    return f"program {program} is not simulated; script it with a rule"


async def run_opaque(argv: list[str], stdin: Pipe, *, main: bool, running: asyncio.Event | None = None,
                     report: Callable[[str], None] | None = None) -> int:
    """Run an unsimulated program (see the module docstring); its exit status."""
    if report is not None:
        report(posixpath.basename(argv[0]))
    stdin_program = reads_program_from_stdin(argv)
    if not main and not stdin_program:
        return 0
    while True:
        data = await stdin.read()
        if running is not None and not running.is_set():
            await running.wait()  # paused: a frozen process acts on nothing it was sent until it is thawed
        if not data:
            break
    if stdin_program:
        return 0
    await asyncio.Event().wait()  # a server-like program: until a signal ends it
    return 0
