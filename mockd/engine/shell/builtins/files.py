"""Applets on the simulated filesystem: ls, mkdir, touch, rm, cp/mv, chmod, ln."""

from __future__ import annotations

import posixpath
import re
import time

from ...filesystem import DIR, SYMLINK
from ..interpreter import Shell
from ..registry import builtin, parse_flags


def _id_names(fs, path: str) -> dict[int, str]:
    """id -> name from /etc/passwd or /etc/group, as `ls -l` shows owners (numbers when there is no entry)."""
    try:
        rows = [line.split(":") for line in fs.read(path).decode(errors="replace").splitlines()]
    except (OSError, ValueError):
        return {}
    return {int(r[2]): r[0] for r in reversed(rows) if len(r) > 2 and r[2].isdigit()}


def _ls_long(name: str, node, users: dict[int, str] | None = None, groups: dict[int, str] | None = None) -> str:
    kind = {"dir": "d", "symlink": "l"}.get(node.kind, "-")
    perms = "".join(c if node.mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    when = time.strftime("%b %d %H:%M", time.gmtime(node.mtime))
    link = f" -> {node.target}" if node.kind == SYMLINK else ""
    user = (users or {}).get(node.uid, node.uid)
    group = (groups or {}).get(node.gid, node.gid)
    return f"{kind}{perms}    1 {user:<8} {group:<8} {node.size:>8} {when} {name}{link}"


@builtin("ls")
async def b_ls(sh: Shell, args, io) -> int:
    flags, paths = parse_flags(args[1:], "laA1dhRFtp")
    status = 0
    fs = sh.ctx.fs
    multiple = len(paths) > 1
    for i, name in enumerate(paths or ["."]):
        path = sh.path(name)
        node = fs.lookup(path)
        if node is None:
            io.err(f"ls: {name}: No such file or directory\n".encode())
            status = 1
            continue
        if node.kind != DIR or "d" in flags:
            io.out(((_ls_long(name, node, *_owners(fs, flags)) if "l" in flags else name) + "\n").encode())
            continue
        if "R" in flags:  # busybox: "DIR:" then its entries, each subdirectory after a blank line, depth first
            sections: list[str] = []
            _ls_recursive(fs, name, path, node, flags, sections)
            io.out(("" if i == 0 else "\n").encode() + "\n".join(sections).encode())
            continue
        if multiple:
            io.out(f"{'' if i == 0 else chr(10)}{name}:\n".encode())
        io.out("".join(line + "\n" for line in _ls_dir(fs, path, node, flags)).encode())
    return status


def _ls_dir(fs, path: str, node, flags: set[str]) -> list[str]:
    names = fs.listdir(path)
    if "a" not in flags and "A" not in flags:
        names = [n for n in names if not n.startswith(".")]
    if "a" in flags:
        names = [".", "..", *names]
    lines = []
    owners = _owners(fs, flags)
    for entry in names:
        child = None
        if flags & {"l", "p", "F"}:
            child_path = posixpath.join(path, entry)
            child = node if entry in (".", "..") else fs.get(child_path) or fs.lookup(child_path)
        shown = entry + _indicator(child, flags)
        lines.append(_ls_long(shown, child, *owners) if child and "l" in flags else shown)
    return lines


def _indicator(node, flags: set[str]) -> str:
    """busybox `ls -p` marks directories with `/`; `-F` also links `@` and executables `*`."""
    if node is None or not flags & {"p", "F"}:
        return ""
    if node.kind == DIR:
        return "/"
    if "F" not in flags:
        return ""
    if node.kind == SYMLINK:
        return "@"
    return "*" if node.mode & 0o111 else ""


def _owners(fs, flags: str) -> tuple[dict[int, str], dict[int, str]]:
    return (_id_names(fs, "/etc/passwd"), _id_names(fs, "/etc/group")) if "l" in flags else ({}, {})


def _ls_recursive(fs, shown: str, path: str, node, flags: str, sections: list[str], depth: int = 0) -> None:
    sections.append(f"{shown}:\n" + "".join(line + "\n" for line in _ls_dir(fs, path, node, flags)))
    for entry in fs.listdir(path):
        if entry.startswith(".") and "a" not in flags and "A" not in flags:
            continue
        child_path = posixpath.join(path, entry)
        child = fs.get(child_path) or fs.lookup(child_path)  # get: a symlinked directory is not descended into
        if child is not None and child.kind == DIR and depth < 64:
            _ls_recursive(fs, posixpath.join(shown, entry), child_path, child, flags, sections, depth + 1)


@builtin("mkdir")
async def b_mkdir(sh: Shell, args, io) -> int:
    flags, paths = parse_flags(args[1:], "p")
    status = 0
    for name in paths:
        try:
            sh.ctx.fs.mkdir(sh.path(name), parents="p" in flags)
        except FileExistsError:
            io.err(f"mkdir: can't create directory '{name}': File exists\n".encode())
            status = 1
        except PermissionError:
            io.err(f"mkdir: can't create directory '{name}': Read-only file system\n".encode())
            status = 1
        except OSError:
            io.err(f"mkdir: can't create directory '{name}': No such file or directory\n".encode())
            status = 1
    return status


@builtin("touch")
async def b_touch(sh: Shell, args, io) -> int:
    _, paths = parse_flags(args[1:], "acm")
    for name in paths:
        try:
            sh.ctx.fs.touch(sh.path(name))
        except PermissionError:
            io.err(f"touch: {name}: Read-only file system\n".encode())
            return 1
        except OSError:
            io.err(f"touch: {name}: No such file or directory\n".encode())
            return 1
    return 0


@builtin("rm", "rmdir")
async def b_rm(sh: Shell, args, io) -> int:
    flags, paths = parse_flags(args[1:], "rfRv")
    status = 0
    for name in paths:
        try:
            sh.ctx.fs.remove(sh.path(name), recursive=bool(flags & {"r", "R"}))
        except FileNotFoundError:
            if "f" not in flags:
                io.err(f"rm: can't remove '{name}': No such file or directory\n".encode())
                status = 1
        except OSError as err:
            io.err(f"rm: can't remove '{name}': {err}\n".encode())
            status = 1
    return status


@builtin("cp", "mv")
async def b_cp(sh: Shell, args, io) -> int:
    _, paths = parse_flags(args[1:], "rRfapv")
    if len(paths) < 2:
        io.err(f"{args[0]}: missing file operand\n".encode())
        return 1
    fs = sh.ctx.fs
    dest = sh.path(paths[-1])
    for name in paths[:-1]:
        src = sh.path(name)
        try:
            data = fs.read(src)
        except OSError:
            io.err(f"{args[0]}: can't stat '{name}': No such file or directory\n".encode())
            return 1
        target = posixpath.join(dest, posixpath.basename(src)) if fs.is_dir(dest) else dest
        node = fs.lookup(src)
        fs.write(target, data, mode=node.mode if node else None)
        if args[0] == "mv":
            fs.remove(src)
    return 0


@builtin("chmod")
async def b_chmod(sh: Shell, args, io) -> int:
    _, rest = parse_flags(args[1:], "R")
    if len(rest) < 2:
        return 1
    from dataclasses import replace as _replace

    mode_text = rest[0]
    for name in rest[1:]:
        fs = sh.ctx.fs
        node = fs.lookup(sh.path(name))
        if node is None:
            io.err(f"chmod: {name}: No such file or directory\n".encode())
            return 1
        if re.fullmatch(r"[0-7]{3,4}", mode_text):
            mode = int(mode_text, 8)
        else:
            mode = node.mode | (0o111 if "+x" in mode_text else 0)
            if "-x" in mode_text:
                mode &= ~0o111
        tree, inner = fs._locate(sh.path(name), for_write=True)
        tree.nodes[tree.resolve(inner)] = _replace(node, mode=mode)
    return 0


@builtin("ln")
async def b_ln(sh: Shell, args, io) -> int:
    flags, rest = parse_flags(args[1:], "sf")
    if len(rest) != 2:
        return 1
    tree, inner = sh.ctx.fs._locate(sh.path(rest[1]), for_write=True)
    if "s" in flags:
        tree.symlink(rest[0], inner)
    else:
        tree.write(inner, sh.ctx.fs.read(sh.path(rest[0])))
    return 0
