// testcontainers-node features beyond the default wait (tests/test_clients_node.py): Wait.forHttp, Wait.forHealthCheck,
// Wait.forLogMessage twice (postgres), network aliases reached from a peer, content copied in, restart, logs.
"use strict";
const { GenericContainer, Network, Wait } = require("testcontainers");
async function main() {
  const r = {};
  const network = await new Network().start();
  const web = await new GenericContainer("nginx:1.31").withExposedPorts(80).withNetwork(network).withNetworkAliases("web")
    .withWaitStrategy(Wait.forHttp("/", 80).forStatusCode(200))
    .withCopyContentToContainer([{ content: "hello from node\n", target: "/usr/share/nginx/html/hi.txt" }])
    .start();
  const res = await fetch(`http://${web.getHost()}:${web.getMappedPort(80)}/hi.txt`);
  r.hi = await res.text();
  const cache = await new GenericContainer("redis:7").withNetwork(network).withNetworkAliases("cache")
    .withHealthCheck({ test: ["CMD-SHELL", "redis-cli ping"], interval: 200, timeout: 1000, retries: 20 })
    .withWaitStrategy(Wait.forHealthCheck()).start();
  const peer = await new GenericContainer("busybox").withNetwork(network).withCommand(["sleep", "100"]).start();
  r.peer = (await peer.exec(["wget", "-qO-", "http://web/hi.txt"])).output;
  r.peerRedis = (await cache.exec(["redis-cli", "-h", "cache", "ping"])).output;
  const logs = await web.logs();
  r.logLines = await new Promise((resolve) => { let n = 0; logs.on("data", () => n++); setTimeout(() => resolve(n > 0), 500); });
  const pg = await new GenericContainer("postgres:16").withEnvironment({ POSTGRES_PASSWORD: "pw" }).withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)).start();
  r.pg = (await pg.exec(["pg_isready", "-U", "postgres"])).output;
  r.restarted = await (async () => { await cache.restart(); return (await cache.exec(["redis-cli", "ping"])).output; })();
  for (const c of [peer, pg, cache, web]) await c.stop();
  await network.stop();
  console.log(JSON.stringify(r));
}
main().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
