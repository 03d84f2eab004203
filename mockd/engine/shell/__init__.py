"""The built-in shell: the only "process" a mock container ever runs. No host command is executed.

It understands the POSIX sh people put in `docker run`, entrypoints and Dockerfiles, with busybox ash's behaviour
(tests/shell_corpus checks it against the real busybox): quoting, parameter expansion in all its forms, command
substitution, arithmetic, globbing, `;` `&&` `||` `|` `&`, redirections and here-documents, `if`/`case`/`while`/
`until`/`for`, functions, traps, `set -e -u -x`, and a set of common applets working on the simulated filesystem.
Executables are files in that filesystem: a builtin's name, or a `#!` script run by this shell.

The package: lexer (text to tokens), parser (tokens to a tree), expansion and interpreter (the Shell), registry and
builtins/ (the commands, by area), signals (trap, kill), lookup (users and executables, for the runtime too).
"""

from . import builtins, signals
from .context import IO, Context
from .errors import ShellError, ShellExit, StartError, SyntaxErr
from .interpreter import Shell
from .lexer import tokenize
from .lookup import DEFAULT_PATH, find_executable, resolve_user
from .parser import Parser
from .registry import BUILTINS

__all__ = ["BUILTINS", "DEFAULT_PATH", "IO", "Context", "Parser", "Shell", "ShellError", "ShellExit", "StartError", "SyntaxErr",
           "builtins", "find_executable", "resolve_user", "signals", "tokenize"]
