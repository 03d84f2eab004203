// testcontainers for Node against mockd (tests/test_clients_node.py): GenericContainer("redis:7") with its default
// wait and Ryuk on, used over a raw RESP socket and through exec, then stopped. With "kill-me" it starts a
// container and a network of its session, prints "started" and waits to be killed: only Ryuk cleans up then.
"use strict";
const net = require("net");
const { GenericContainer, Network } = require("testcontainers");

function respPing(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write("*1\r\n$4\r\nPING\r\n"));
    let answer = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.endsWith("\r\n")) {
        socket.end();
        resolve(answer);
      }
    });
    socket.on("error", reject);
  });
}

async function main(mode) {
  const result = {};
  const redis = await new GenericContainer("redis:7").withExposedPorts(6379).start();
  result.host = redis.getHost();
  result.resp = await respPing(redis.getHost(), redis.getMappedPort(6379));
  const exec = await redis.exec(["redis-cli", "ping"]);
  result.exec = { exitCode: exec.exitCode, output: exec.output };
  result.id = redis.getId();
  if (mode === "kill-me") {
    const network = await new Network().start();
    const left = await new GenericContainer("busybox").withCommand(["sleep", "1000"]).withName("left-behind")
      .withNetwork(network).start();
    result.network = network.getName();
    result.left = left.getId();
    console.log(JSON.stringify(result));
    console.log("started");
    await new Promise((resolve) => setTimeout(resolve, 60000)); // killed here
    return;
  }
  const stopped = await redis.stop();
  result.stoppedId = stopped.getId();
  console.log(JSON.stringify(result));
}

main(process.argv[2]).catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
