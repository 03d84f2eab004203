"""Dockerfile parsing and the config-changing instructions (shared by the classic builder and
`docker commit --change` / `docker import --change`)."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass

from .errors import InvalidParameter


@dataclass
class Instruction:
    keyword: str  # upper-case
    args: str  # the raw rest of the line (continuations joined)
    original: str  # as written, for "Step i/N : ..."
    flags: dict[str, str]
    line: int = 0  # where it starts in the Dockerfile (1-based), for parse errors

    def json_or_shell(self) -> tuple[list[str], bool]:
        """(argv, is_exec_form)."""
        text = self.args.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    return value, True
            except ValueError:
                pass
        return [text], False


def parse(text: str) -> list[Instruction]:
    escape = "\\"
    lines = text.splitlines()
    for line in lines[:5]:
        m = re.match(r"^\s*#\s*escape\s*=\s*(\S)", line)
        if m:
            escape = m.group(1)
    out: list[Instruction] = []
    buf, start = "", 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = number
        if stripped.endswith(escape):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        if buf.strip():
            out.append(_instruction(buf.strip(), start))
        buf = ""
    if buf.strip():
        out.append(_instruction(buf.strip(), start))
    return out


def _instruction(line: str, number: int = 0) -> Instruction:
    keyword, _, rest = line.partition(" ")
    flags: dict[str, str] = {}
    rest = rest.strip()
    while rest.startswith("--"):
        flag, _, remainder = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name] = value
        rest = remainder.strip()
    return Instruction(keyword.upper(), rest, line, flags, number)


def substitute(text: str, env: dict[str, str]) -> str:
    def repl(m: re.Match) -> str:
        if m.group(0).startswith("\\"):
            return m.group(0)[1:]
        name = m.group(1) or m.group(3)
        modifier, word = m.group(2), ""
        if modifier:
            word = modifier[2:] if modifier.startswith(":") else modifier[1:]
            if modifier.startswith(":-"):
                return env.get(name) or word
            if modifier.startswith(":+"):
                return word if env.get(name) else ""
        return env.get(name, "")
    return re.sub(r"\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, text)


def key_values(text: str) -> list[tuple[str, str]]:
    """`ENV a=b c="d e"` and the legacy `ENV a b c`."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError as err:
        raise InvalidParameter(f"Syntax error - can't find = in \"{text}\". Must be of the form: name=value"
                               ) from err
    if words and "=" not in words[0]:
        return [(words[0], text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else "")]
    pairs = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise InvalidParameter(f"Syntax error - can't find = in \"{word}\". Must be of the form: name=value")
        pairs.append((key, value))
    return pairs


def set_env(config: dict, key: str, value: str) -> None:
    env = list(config.get("Env") or [])
    for i, item in enumerate(env):
        if item.split("=", 1)[0] == key:
            env[i] = f"{key}={value}"
            break
    else:
        env.append(f"{key}={value}")
    config["Env"] = env


def env_dict(config: dict) -> dict[str, str]:
    out = {}
    for item in config.get("Env") or []:
        k, _, v = item.partition("=")
        out[k] = v
    return out


def shell_form(config: dict, text: str) -> list[str]:
    return list(config.get("Shell") or ["/bin/sh", "-c"]) + [text]


METADATA = {"CMD", "ENTRYPOINT", "ENV", "LABEL", "EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL",
            "ONBUILD", "SHELL", "HEALTHCHECK", "MAINTAINER"}


def apply_metadata(config: dict, ins: Instruction, env: dict[str, str] | None = None) -> None:
    """Apply one config-only instruction to an image config (in place)."""
    env = env if env is not None else env_dict(config)
    kw = ins.keyword
    args = substitute(ins.args, env) if kw not in ("CMD", "ENTRYPOINT", "ONBUILD", "SHELL", "HEALTHCHECK") \
        else ins.args
    if kw == "CMD":
        argv, exec_form = ins.json_or_shell()
        config["Cmd"] = argv if exec_form else shell_form(config, argv[0])
    elif kw == "ENTRYPOINT":
        argv, exec_form = ins.json_or_shell()
        config["Entrypoint"] = argv if exec_form else shell_form(config, argv[0])
        config["Cmd"] = None if not getattr(ins, "keep_cmd", False) else config.get("Cmd")
    elif kw == "ENV":
        for key, value in key_values(args):
            set_env(config, key, value)
    elif kw == "LABEL":
        labels = dict(config.get("Labels") or {})
        labels.update(dict(key_values(args)))
        config["Labels"] = labels
    elif kw == "MAINTAINER":
        config["_author"] = args
    elif kw == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for port in args.split():
            ports[port if "/" in port else f"{port}/tcp"] = {}
        config["ExposedPorts"] = ports
    elif kw == "USER":
        config["User"] = args.strip()
    elif kw == "WORKDIR":
        path = args.strip()
        config["WorkingDir"] = posixpath.normpath(posixpath.join(config.get("WorkingDir") or "/", path))
    elif kw == "VOLUME":
        argv, exec_form = ins.json_or_shell()
        paths = argv if exec_form else args.split()
        volumes = dict(config.get("Volumes") or {})
        for path in paths:
            volumes[path] = {}
        config["Volumes"] = volumes
    elif kw == "STOPSIGNAL":
        config["StopSignal"] = args.strip()
    elif kw == "ONBUILD":
        config["OnBuild"] = list(config.get("OnBuild") or []) + [ins.args]
    elif kw == "SHELL":
        argv, exec_form = ins.json_or_shell()
        if not exec_form:
            raise InvalidParameter("SHELL requires the arguments to be in JSON form")
        config["Shell"] = argv
    elif kw == "HEALTHCHECK":
        text = ins.args.strip()
        if text.upper() == "NONE":
            config["Healthcheck"] = {"Test": ["NONE"]}
        else:
            cmd = text.split(None, 1)[1] if text.upper().startswith("CMD") else text
            inner = Instruction("CMD", cmd, cmd, {})
            argv, exec_form = inner.json_or_shell()
            config["Healthcheck"] = {"Test": (["CMD", *argv] if exec_form else ["CMD-SHELL", argv[0]])}
            # --interval/--timeout/--start-period/--start-interval (Go durations, stored in ns) and --retries;
            # zero values are left out, like dockerd's omitempty fields.
            for flag, key in (("interval", "Interval"), ("timeout", "Timeout"), ("start-period", "StartPeriod"),
                              ("start-interval", "StartInterval")):
                if ins.flags.get(flag):
                    value = go_duration_ns(ins.flags[flag])
                    if value:
                        config["Healthcheck"][key] = value
            if ins.flags.get("retries"):
                try:
                    retries = int(ins.flags["retries"])
                except ValueError:
                    raise InvalidParameter(f'strconv.ParseInt: parsing "{ins.flags["retries"]}": invalid syntax') \
                        from None
                if retries:
                    config["Healthcheck"]["Retries"] = retries
    else:
        raise InvalidParameter(f"{kw} is not a valid change command" if kw else "empty change")


_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
                   "h": 3_600_000_000_000}


def go_duration_ns(text: str) -> int:
    """Go's time.ParseDuration ("1m30s", "500ms", "5s") in nanoseconds."""
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        raise InvalidParameter(f'time: invalid duration "{text}"')
    return int(sum(float(n) * _DURATION_UNITS[u] for n, u in parts))


def created_by(config: dict, ins: Instruction, env: dict[str, str]) -> str:
    """The history line dockerd's classic builder records."""
    kw = ins.keyword
    if kw == "RUN":
        argv, exec_form = ins.json_or_shell()
        return " ".join(argv) if exec_form else "/bin/sh -c " + argv[0]
    if kw in ("CMD", "ENTRYPOINT"):
        value = config.get("Cmd" if kw == "CMD" else "Entrypoint") or []
        return f"/bin/sh -c #(nop)  {kw} " + json.dumps(value)
    return f"/bin/sh -c #(nop)  {kw} {substitute(ins.args, env)}"


def apply_changes(config: dict, changes: list[str]) -> dict:
    """`docker commit --change` / `docker import --change`: a few Dockerfile lines applied to a config."""
    allowed = {"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR",
               "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
    for text in changes:
        for line in text.splitlines():
            if not line.strip():
                continue
            ins = _instruction(line.strip())
            if ins.keyword not in allowed:
                raise InvalidParameter(f"{ins.keyword.lower()} is not a valid change command")
            apply_metadata(config, ins)
    return config
