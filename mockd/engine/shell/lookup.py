"""What the runtime resolves before a process starts: the user (from /etc/passwd and /etc/group) and the
executable (on $PATH), with runc's error messages."""

from __future__ import annotations

import posixpath

from ..filesystem import DIR, MountedFS
from .errors import StartError

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def resolve_user(fs: MountedFS, user: str) -> tuple[int, int, str | None, str | None]:
    """(uid, gid, user name, group name) for a `--user` value, reading /etc/passwd and /etc/group like runc."""
    def table(path: str) -> list[list[str]]:
        try:
            return [line.split(":") for line in fs.read(path).decode(errors="replace").splitlines() if line]
        except (OSError, ValueError):
            return []

    passwd, groups = table("/etc/passwd"), table("/etc/group")
    name_part, _, group_part = (user or "0").partition(":")
    uid = gid = 0
    uname = None
    if name_part.isdigit():
        uid = int(name_part)
        for row in passwd:
            if len(row) > 3 and row[2] == name_part:
                uname, gid = row[0], int(row[3]) if row[3].isdigit() else 0
                break
    else:
        for row in passwd:
            if row and row[0] == name_part and len(row) > 3:
                uname, uid, gid = row[0], int(row[2]), int(row[3])
                break
        else:
            raise StartError(f"unable to find user {name_part}: no matching entries in passwd file", 126)
    if group_part:
        if group_part.isdigit():
            gid = int(group_part)
        else:
            for row in groups:
                if row and row[0] == group_part and len(row) > 2:
                    gid = int(row[2])
                    break
            else:
                raise StartError(f"unable to find group {group_part}: no matching entries in group file", 126)
    gname = next((row[0] for row in groups if len(row) > 2 and row[2] == str(gid)), None)
    return uid, gid, uname, gname


def process_groups(fs: MountedFS, user: str, group_add: tuple[str, ...] | list[str] = ()) -> list[int]:
    """The process's supplementary groups (what getgroups() gives it), as runc sets them: its primary gid, the
    groups of /etc/group that list the user as a member (none when `--user` names a group), and
    HostConfig.GroupAdd (numbers, or names from /etc/group); sorted, as the kernel's setgroups keeps them.
    Measured on dockerd 20.10 with alpine: root 0 1 2 4 10, `-u games --group-add 5` 5 35 100, `-u 0:2` 2."""
    try:
        rows = [line.split(":") for line in fs.read("/etc/group").decode(errors="replace").splitlines() if line]
    except (OSError, ValueError):
        rows = []
    _uid, gid, uname, _ = resolve_user(fs, user)
    groups = {gid}
    if ":" not in (user or "") and uname is not None:
        groups |= {int(r[2]) for r in rows if len(r) > 3 and r[2].isdigit() and uname in r[3].split(",")}
    for extra in group_add:
        text = str(extra)
        number = int(text) if text.isdigit() else next((int(r[2]) for r in rows if len(r) > 2 and r[0] == text
                                                        and r[2].isdigit()), None)
        if number is not None:
            groups.add(number)
    return sorted(groups)


def find_executable(fs: MountedFS, name: str, env: dict[str, str], cwd: str = "/") -> str:
    """The path runc would exec, or a StartError with runc's message."""
    if "/" in name:
        path = posixpath.normpath(posixpath.join(cwd, name))
        node = fs.lookup(path)
        if node is None:
            raise StartError(f'exec: "{name}": stat {name}: no such file or directory', 127)
        if node.kind == DIR or not node.mode & 0o111:
            raise StartError(f'exec: "{name}": permission denied', 126)
        return path
    for directory in env.get("PATH", DEFAULT_PATH).split(":"):
        path = posixpath.join(directory or ".", name)
        node = fs.lookup(path)
        if node is not None and node.kind != DIR and node.mode & 0o111:
            return path
    raise StartError(f'exec: "{name}": executable file not found in $PATH', 127)
