"""Control plane: `POST /_mockd/seed` (a YAML or JSON seed document; the engine returns to it)."""

from __future__ import annotations

import json

from aiohttp import web

from mockd.control import ControlRoute
from mockd.control_access import SEED_TYPES
from mockd.engine.errors import EngineError
from mockd.engine.seed import parse_seed
from mockd.errors import DockerError
from mockd.faults import FaultError
from mockd.keys import FAULTS, REGISTRY


async def seed(request: web.Request) -> web.Response:
    text = await request.read()
    try:
        document = parse_seed(text)
        engine = request.app[REGISTRY].engine
        engine.load_seed(document)
        engine.ensure_ready()
        request.app[FAULTS].replace_seeded(document.get("faults"))
    except FaultError as err:
        raise DockerError(400, f"invalid seed: {err}") from None
    except EngineError as err:
        raise DockerError(400, err.message) from None
    except (KeyError, TypeError, ValueError) as err:
        raise DockerError(400, f"invalid seed: {err!r}") from None
    return web.Response(text=json.dumps({"seeded": True, **engine.dump()}) + "\n", content_type="application/json")


# Handed to the app factory (mockd.app.CONTROL_EXTENSIONS).
ROUTES = (ControlRoute("POST", "seed", seed, accepts=SEED_TYPES),)
