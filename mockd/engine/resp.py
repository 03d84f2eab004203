"""redis-server's port: the RESP protocol (RESP2, and RESP3 after `HELLO 3`) with the commands clients and tests
use, over one keyspace per server (16 databases, expiry). Error texts are redis 7's. Inline commands
(`PING\\r\\n`, what `nc` users type) are accepted as the real server accepts them.

Strings (SET with EX/PX/NX/XX/GET, GET, MSET/MGET, INCR/DECR[BY], APPEND, STRLEN), keys (DEL/UNLINK, EXISTS,
EXPIRE/PEXPIRE, TTL/PTTL, PERSIST, KEYS, TYPE, DBSIZE, FLUSHDB/FLUSHALL), hashes (HSET/HGET/HGETALL/HDEL/
HEXISTS/HLEN), lists (LPUSH/RPUSH/LPOP/RPOP/LRANGE/LLEN), sets (SADD/SREM/SMEMBERS/SISMEMBER/SCARD) and the
connection commands (PING, ECHO, SELECT, HELLO, CLIENT SETNAME/GETNAME/SETINFO/ID, AUTH, INFO, QUIT,
COMMAND, CONFIG GET)."""

from __future__ import annotations

import fnmatch
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .netns import Connection, Handler

_client_ids = itertools.count(3)
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"


class RedisError(Exception):
    pass


@dataclass
class Keyspace:
    """What one redis-server holds: 16 databases of key -> value (bytes, dict, list or set) and expiry times."""

    version: str = "7.4.0"
    port: int = 6379
    dbs: list[dict[bytes, Any]] = field(default_factory=lambda: [{} for _ in range(16)])
    expires: list[dict[bytes, float]] = field(default_factory=lambda: [{} for _ in range(16)])
    started: float = field(default_factory=time.time)

    def db(self, n: int) -> dict[bytes, Any]:
        now = time.time()
        for key, when in list(self.expires[n].items()):
            if when <= now:
                self.dbs[n].pop(key, None)
                del self.expires[n][key]
        return self.dbs[n]


@dataclass
class Client:
    id: int = field(default_factory=lambda: next(_client_ids))
    db: int = 0
    name: bytes | None = None
    resp3: bool = False
    quit: bool = False


def encode(value: Any, resp3: bool = False) -> bytes:
    if isinstance(value, RedisError):
        return b"-" + str(value).encode() + b"\r\n"
    if value is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    if isinstance(value, Status):
        return b"+" + value.text.encode() + b"\r\n"
    if isinstance(value, bool):
        return b":" + (b"1" if value else b"0") + b"\r\n"
    if isinstance(value, int):
        return b":" + str(value).encode() + b"\r\n"
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"$" + str(len(value)).encode() + b"\r\n" + value + b"\r\n"
    if isinstance(value, dict):
        if resp3:
            return (b"%" + str(len(value)).encode() + b"\r\n"
                    + b"".join(encode(k, resp3) + encode(v, resp3) for k, v in value.items()))
        value = [x for kv in value.items() for x in kv]
    if isinstance(value, set | frozenset) and resp3:
        return b"~" + str(len(value)).encode() + b"\r\n" + b"".join(encode(v, resp3) for v in value)
    items = list(value)
    return b"*" + str(len(items)).encode() + b"\r\n" + b"".join(encode(v, resp3) for v in items)


@dataclass(frozen=True)
class Status:
    text: str


OK = Status("OK")


async def read_command(conn: Connection) -> list[bytes] | None:
    """One command: a RESP array of bulk strings, or an inline line of words. None at EOF."""
    line = await conn.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.strip().split() or []
    count = int(line[1:].strip() or 0)
    args = []
    for _ in range(count):
        head = await conn.readline()
        if not head.startswith(b"$"):
            raise RedisError("ERR Protocol error: expected '$', got '" + head[:1].decode(errors="replace") + "'")
        size = int(head[1:].strip())
        data = b""
        while len(data) < size + 2:
            chunk = await conn.read(size + 2 - len(data))
            if not chunk:
                return None
            data += chunk
        args.append(data[:size])
    return args


def redis_server(space: Keyspace, authorised: Callable[[bytes], bool] | None = None) -> Handler:
    """The netns handler of a redis-server port."""
    async def serve(conn: Connection) -> None:
        client = Client()
        while not client.quit:
            try:
                args = await read_command(conn)
            except RedisError as err:
                conn.write(encode(err))
                break
            if args is None:
                break
            if not args:
                continue
            try:
                reply = execute(space, client, args)
            except RedisError as err:
                reply = err
            conn.write(encode(reply, client.resp3))
        conn.close()
    return serve


def _int(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        raise RedisError(NOT_INT) from None


def _arity(name: str, args: list[bytes], least: int, most: int | None = None) -> None:
    if len(args) < least or (most is not None and len(args) > most):
        raise RedisError(f"ERR wrong number of arguments for '{name}' command")


def _typed(db: dict[bytes, Any], key: bytes, kind: type, create: bool = False) -> Any:
    value = db.get(key)
    if value is None:
        if not create:
            return None
        value = db[key] = kind()
    if not isinstance(value, kind):
        raise RedisError(WRONGTYPE)
    return value


def execute(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    name = args[0].decode(errors="replace").lower()
    fn = COMMANDS.get(name)
    if fn is None:
        begins = " ".join(f"'{a.decode(errors='replace')}'" for a in args[1:])
        raise RedisError(f"ERR unknown command '{args[0].decode(errors='replace')}', with args beginning with: "
                         f"{begins}")
    return fn(space, client, args)


COMMANDS: dict[str, Callable[[Keyspace, Client, list[bytes]], Any]] = {}


def command(*names: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for n in names:
            COMMANDS[n] = fn
        return fn
    return register


# -- connection --

@command("ping")
def c_ping(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("ping", args, 1, 2)
    return Status("PONG") if len(args) == 1 else args[1]


@command("echo")
def c_echo(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("echo", args, 2, 2)
    return args[1]


@command("quit")
def c_quit(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    client.quit = True
    return OK


@command("select")
def c_select(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("select", args, 2, 2)
    n = _int(args[1])
    if not 0 <= n < len(space.dbs):
        raise RedisError("ERR DB index is out of range")
    client.db = n
    return OK


@command("auth")
def c_auth(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("auth", args, 2, 3)
    # redis without requirepass: AUTH is refused as the real server refuses it
    raise RedisError("ERR AUTH <password> called without any password configured for the default user. "
                     "Are you sure your configuration is correct?")


@command("hello")
def c_hello(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    if len(args) > 1:
        proto = _int(args[1]) if args[1].isdigit() else -1
        if proto not in (2, 3):
            raise RedisError("NOPROTO unsupported protocol version")
        client.resp3 = proto == 3
        rest = args[2:]
        while rest:
            option = rest[0].lower()
            if option == b"setname" and len(rest) > 1:
                client.name, rest = rest[1], rest[2:]
            elif option == b"auth" and len(rest) > 2:
                rest = rest[3:]
            else:
                raise RedisError(f"ERR Syntax error in HELLO option '{rest[0].decode(errors='replace')}'")
    return {"server": "redis", "version": space.version, "proto": 3 if client.resp3 else 2, "id": client.id,
            "mode": "standalone", "role": "master", "modules": []}


@command("client")
def c_client(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("client", args, 2)
    sub = args[1].lower()
    if sub == b"setname" and len(args) == 3:
        client.name = args[2] or None
        return OK
    if sub == b"getname":
        return client.name
    if sub == b"setinfo" and len(args) == 4:
        return OK
    if sub == b"id":
        return client.id
    if sub == b"list" or sub == b"info":
        return (f"id={client.id} addr=127.0.0.1:0 name={(client.name or b'').decode()} db={client.db} "
                "cmd=client|list\n").encode()
    raise RedisError(f"ERR unknown subcommand '{args[1].decode(errors='replace')}'. Try CLIENT HELP.")


@command("info")
def c_info(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    uptime = int(time.time() - space.started)
    keys = [f"db{n}:keys={len(space.db(n))},expires={len(space.expires[n])},avg_ttl=0"
            for n in range(len(space.dbs)) if space.db(n)]
    text = (f"# Server\r\nredis_version:{space.version}\r\nredis_mode:standalone\r\nos:Linux\r\narch_bits:64\r\n"
            f"tcp_port:{space.port}\r\nuptime_in_seconds:{uptime}\r\n\r\n# Clients\r\nconnected_clients:1\r\n\r\n"
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n# Keyspace\r\n" + "".join(k + "\r\n"
                                                                                               for k in keys))
    return text.encode()


@command("command")
def c_command(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    if len(args) > 1 and args[1].lower() == b"count":
        return len(COMMANDS)
    return {} if len(args) > 1 and args[1].lower() == b"docs" else []


@command("config")
def c_config(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("config", args, 2)
    if args[1].lower() == b"get" and len(args) > 2:
        known = {b"databases": b"16", b"port": str(space.port).encode(), b"maxmemory": b"0",
                 b"appendonly": b"no", b"save": b"3600 1 300 100 60 10000"}
        return {k: v for k, v in known.items() if fnmatch.fnmatchcase(k, args[2])}
    if args[1].lower() in (b"set", b"resetstat"):
        return OK
    raise RedisError(f"ERR unknown subcommand '{args[1].decode(errors='replace')}'. Try CONFIG HELP.")


# -- keys --

@command("del", "unlink")
def c_del(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity(args[0].decode().lower(), args, 2)
    db = space.db(client.db)
    gone = 0
    for key in args[1:]:
        if db.pop(key, None) is not None:
            gone += 1
        space.expires[client.db].pop(key, None)
    return gone


@command("exists")
def c_exists(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("exists", args, 2)
    db = space.db(client.db)
    return sum(1 for key in args[1:] if key in db)


@command("expire", "pexpire")
def c_expire(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity(args[0].decode().lower(), args, 3, 3)
    seconds = _int(args[2]) / (1000 if args[0].lower() == b"pexpire" else 1)
    if args[1] not in space.db(client.db):
        return 0
    space.expires[client.db][args[1]] = time.time() + seconds
    return 1


@command("ttl", "pttl")
def c_ttl(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity(args[0].decode().lower(), args, 2, 2)
    if args[1] not in space.db(client.db):
        return -2
    when = space.expires[client.db].get(args[1])
    if when is None:
        return -1
    left = when - time.time()
    return round(left * 1000) if args[0].lower() == b"pttl" else round(left)


@command("persist")
def c_persist(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("persist", args, 2, 2)
    space.db(client.db)
    return int(space.expires[client.db].pop(args[1], None) is not None)


@command("keys")
def c_keys(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("keys", args, 2, 2)
    return [k for k in space.db(client.db) if fnmatch.fnmatchcase(k, args[1])]


@command("type")
def c_type(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("type", args, 2, 2)
    value = space.db(client.db).get(args[1])
    kinds = {bytes: "string", dict: "hash", list: "list", set: "set"}
    return Status("none" if value is None else kinds[type(value)])


@command("dbsize")
def c_dbsize(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    return len(space.db(client.db))


@command("flushdb", "flushall")
def c_flush(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    for n in range(len(space.dbs)) if args[0].lower() == b"flushall" else [client.db]:
        space.dbs[n].clear()
        space.expires[n].clear()
    return OK


# -- strings --

@command("set")
def c_set(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("set", args, 3)
    db = space.db(client.db)
    key, value, options = args[1], args[2], [a.lower() for a in args[3:]]
    ttl: float | None = None
    nx = xx = get = keep = False
    i = 0
    while i < len(options):
        option = options[i]
        if option in (b"ex", b"px", b"exat", b"pxat") and i + 1 < len(options):
            amount = _int(args[4 + i])
            if amount <= 0:
                raise RedisError("ERR invalid expire time in 'set' command")
            ttl = {b"ex": amount, b"px": amount / 1000, b"exat": amount - time.time(),
                   b"pxat": amount / 1000 - time.time()}[option]
            i += 2
            continue
        if option == b"nx":
            nx = True
        elif option == b"xx":
            xx = True
        elif option == b"get":
            get = True
        elif option == b"keepttl":
            keep = True
        else:
            raise RedisError(SYNTAX)
        i += 1
    if nx and xx:
        raise RedisError(SYNTAX)
    old = db.get(key)
    if get and old is not None and not isinstance(old, bytes):
        raise RedisError(WRONGTYPE)
    if (nx and old is not None) or (xx and old is None):
        return old if get else None
    db[key] = value
    if ttl is not None:
        space.expires[client.db][key] = time.time() + ttl
    elif not keep:
        space.expires[client.db].pop(key, None)
    return old if get else OK


@command("get")
def c_get(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("get", args, 2, 2)
    return _typed(space.db(client.db), args[1], bytes)


@command("mset")
def c_mset(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    if len(args) < 3 or len(args) % 2 == 0:
        raise RedisError("ERR wrong number of arguments for 'mset' command")
    db = space.db(client.db)
    for key, value in zip(args[1::2], args[2::2], strict=True):
        db[key] = value
        space.expires[client.db].pop(key, None)
    return OK


@command("mget")
def c_mget(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("mget", args, 2)
    db = space.db(client.db)
    return [db.get(k) if isinstance(db.get(k), bytes) else None for k in args[1:]]


@command("incr", "decr", "incrby", "decrby")
def c_incr(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    name = args[0].decode().lower()
    _arity(name, args, 3 if name.endswith("by") else 2, 3 if name.endswith("by") else 2)
    step = _int(args[2]) if name.endswith("by") else 1
    db = space.db(client.db)
    current = _typed(db, args[1], bytes)
    value = _int(current) if current is not None else 0
    value += -step if name.startswith("decr") else step
    db[args[1]] = str(value).encode()
    return value


@command("append")
def c_append(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("append", args, 3, 3)
    db = space.db(client.db)
    db[args[1]] = (_typed(db, args[1], bytes) or b"") + args[2]
    return len(db[args[1]])


@command("strlen")
def c_strlen(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("strlen", args, 2, 2)
    return len(_typed(space.db(client.db), args[1], bytes) or b"")


# -- hashes, lists, sets --

@command("hset", "hmset")
def c_hset(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    name = args[0].decode().lower()
    if len(args) < 4 or len(args) % 2:
        raise RedisError(f"ERR wrong number of arguments for '{name}' command")
    h = _typed(space.db(client.db), args[1], dict, create=True)
    added = sum(1 for f in args[2::2] if f not in h)
    h.update(zip(args[2::2], args[3::2], strict=True))
    return OK if name == "hmset" else added


@command("hget")
def c_hget(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("hget", args, 3, 3)
    return (_typed(space.db(client.db), args[1], dict) or {}).get(args[2])


@command("hgetall")
def c_hgetall(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("hgetall", args, 2, 2)
    return dict(_typed(space.db(client.db), args[1], dict) or {})


@command("hdel")
def c_hdel(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("hdel", args, 3)
    db = space.db(client.db)
    h = _typed(db, args[1], dict) or {}
    gone = sum(1 for f in args[2:] if h.pop(f, None) is not None)
    if not h:
        db.pop(args[1], None)
    return gone


@command("hexists")
def c_hexists(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("hexists", args, 3, 3)
    return int(args[2] in (_typed(space.db(client.db), args[1], dict) or {}))


@command("hlen")
def c_hlen(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("hlen", args, 2, 2)
    return len(_typed(space.db(client.db), args[1], dict) or {})


@command("lpush", "rpush")
def c_push(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity(args[0].decode().lower(), args, 3)
    items = _typed(space.db(client.db), args[1], list, create=True)
    for value in args[2:]:
        if args[0].lower() == b"lpush":
            items.insert(0, value)
        else:
            items.append(value)
    return len(items)


@command("lpop", "rpop")
def c_pop(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity(args[0].decode().lower(), args, 2, 3)
    db = space.db(client.db)
    items = _typed(db, args[1], list)
    if not items:
        return None
    count = _int(args[2]) if len(args) > 2 else None
    taken = [items.pop(0 if args[0].lower() == b"lpop" else -1) for _ in range(min(count or 1, len(items)))]
    if not items:
        db.pop(args[1], None)
    return taken if count is not None else taken[0]


@command("lrange")
def c_lrange(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("lrange", args, 4, 4)
    items = _typed(space.db(client.db), args[1], list) or []
    start, stop = _int(args[2]), _int(args[3])
    n = len(items)
    start, stop = (start + n if start < 0 else start), (stop + n if stop < 0 else stop)
    return items[max(start, 0):stop + 1]


@command("llen")
def c_llen(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("llen", args, 2, 2)
    return len(_typed(space.db(client.db), args[1], list) or [])


@command("sadd")
def c_sadd(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("sadd", args, 3)
    members = _typed(space.db(client.db), args[1], set, create=True)
    before = len(members)
    members.update(args[2:])
    return len(members) - before


@command("srem")
def c_srem(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("srem", args, 3)
    db = space.db(client.db)
    members = _typed(db, args[1], set) or set()
    gone = sum(1 for m in args[2:] if m in members and not members.discard(m))
    if not members:
        db.pop(args[1], None)
    return gone


@command("smembers")
def c_smembers(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("smembers", args, 2, 2)
    return set(_typed(space.db(client.db), args[1], set) or set())


@command("sismember")
def c_sismember(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("sismember", args, 3, 3)
    return int(args[2] in (_typed(space.db(client.db), args[1], set) or set()))


@command("scard")
def c_scard(space: Keyspace, client: Client, args: list[bytes]) -> Any:
    _arity("scard", args, 2, 2)
    return len(_typed(space.db(client.db), args[1], set) or set())


# -- the client side (redis-cli) --

def command_bytes(words: list[str]) -> bytes:
    return encode([w.encode() for w in words])


async def read_reply(conn: Connection) -> Any:
    """One reply, decoded as redis-cli shows it: str for status/bulk, int, None, list, RedisError."""
    line = await conn.readline()
    if not line:
        raise ConnectionError("Server closed the connection")
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind in (b"$",):
        size = int(rest)
        if size < 0:
            return None
        data = b""
        while len(data) < size + 2:
            data += await conn.read(size + 2 - len(data))
        return data[:size].decode(errors="replace")
    if kind == b"_":
        return None
    if kind in (b"*", b"~", b"%"):
        count = int(rest) * (2 if kind == b"%" else 1)
        return [await read_reply(conn) for _ in range(max(count, 0))] if count >= 0 else None
    return rest.decode(errors="replace")
