"""Identifiers, digests, timestamps and generated names, shaped like dockerd's."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import time
from datetime import UTC, datetime

_ADJECTIVES = (
    "admiring adoring affectionate agitated amazing angry awesome blissful bold boring brave busy charming clever "
    "cool compassionate competent condescending confident cranky crazy dazzling determined distracted dreamy eager "
    "ecstatic elastic elated elegant eloquent epic festive flamboyant focused friendly frosty gallant gifted goofy "
    "gracious happy hardcore heuristic hopeful hungry infallible inspiring jolly jovial keen kind laughing loving "
    "lucid magical modest musing mystifying naughty nervous nice nifty nostalgic objective optimistic peaceful "
    "pedantic pensive practical priceless quirky quizzical relaxed reverent romantic sad serene sharp silly "
    "sleepy stoic strange stupefied suspicious sweet tender thirsty trusting unruffled upbeat vibrant vigilant "
    "vigorous wizardly wonderful xenodochial youthful zealous zen"
).split()
_SURNAMES = (
    "albattani allen almeida archimedes ardinghelli aryabhata austin babbage banach bardeen bartik bassi beaver "
    "bell benz bhabha bhaskara blackwell bohr booth borg bose boyd brahmagupta brattain brown carson chandrasekhar "
    "clarke colden cori cray curie darwin davinci dijkstra dubinsky easley edison einstein elion engelbart euclid "
    "euler fermat fermi feynman franklin gagarin galileo gates goldberg goldstine goldwasser golick goodall "
    "hamilton hawking heisenberg hermann hodgkin hoover hopper hugle hypatia jackson jang jennings jepsen johnson "
    "joliot jones kalam kapitsa keller kepler khorana kilby kirch knuth kowalevski lalande lamarr lamport leakey "
    "leavitt lewin lichterman liskov lovelace lumiere mahavira mayer mccarthy mcclintock mclean mcnulty meitner "
    "mendel mendeleev minsky mirzakhani moore morse murdock napier nash neumann newton nightingale nobel noether "
    "northcutt noyce panini pare pasteur payne perlman pike poincare poitras ptolemy raman ramanujan ride ritchie "
    "robinson roentgen rosalind rubin saha sammet shamir shannon shaw shirley shockley sinoussi snyder spence "
    "stonebraker sutherland swanson swartz swirles taussig tesla thompson torvalds turing varahamihira visvesvaraya "
    "volhard wescoff wiles williams wilson wing wozniak wright yalow yonath"
).split()


def new_id() -> str:
    """A random 64-hex id, like container, exec, network and volume ids."""
    return secrets.token_hex(32)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def digest(data: bytes | str) -> str:
    return "sha256:" + sha256_hex(data)


def now_ns() -> int:
    return time.time_ns()


def rfc3339(ns: int | None) -> str:
    """dockerd's time format: RFC 3339 with nanoseconds, UTC, trailing zeros trimmed; the zero time for None."""
    if not ns:
        return "0001-01-01T00:00:00Z"
    seconds, nanos = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{nanos:09d}".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def parse_time(value: str | int | float | None, now: int | None = None) -> int | None:
    """Parse the `since`/`until` forms dockerd accepts: unix seconds (with fraction), RFC 3339, or a Go
    duration relative to now ("10m", "1h30m"). Returns nanoseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(float(value) * 1_000_000_000)
    text = str(value).strip()
    try:
        return int(round(float(text) * 1_000_000_000))
    except ValueError:
        pass
    duration = parse_duration(text)
    if duration is not None:
        return (now or now_ns()) - duration
    try:
        iso = text.replace("Z", "+00:00")
        if "." in iso:  # Python accepts at most microseconds
            head, rest = iso.split(".", 1)
            digits = "".join(itertools.takewhile(str.isdigit, rest))
            iso = head + "." + digits[:6].ljust(6, "0") + rest[len(digits):]
        parsed = datetime.fromisoformat(iso)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1_000_000) * 1000
    except ValueError:
        return None


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
          "h": 3_600_000_000_000}


def parse_duration(text: str) -> int | None:
    """A Go duration ("1h2m3.5s") in nanoseconds, or None when the text is not one."""
    if not text or not re.fullmatch(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", text):
        return None
    total = 0.0
    for number, _, unit in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", text):
        total += float(number) * _UNITS[unit]
    return int(total)


def random_name(taken: set[str] | frozenset[str] = frozenset()) -> str:
    for _ in range(100):
        name = f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_SURNAMES)}"
        if name not in taken:
            return name
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_SURNAMES)}{secrets.randbelow(10)}"


def short(full_id: str) -> str:
    return full_id.removeprefix("sha256:")[:12]
