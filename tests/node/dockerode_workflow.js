// A short dockerode workflow against mockd (tests/test_clients_node.py): pull, create, start, logs, exec,
// inspect, stop, remove. Prints one JSON object of what each step answered.
"use strict";
const Docker = require("dockerode");

function demuxToString(docker, stream) {
  return new Promise((resolve, reject) => {
    const out = [];
    const err = [];
    const sink = (chunks) => ({ write: (c) => chunks.push(Buffer.from(c)) });
    docker.modem.demuxStream(stream, sink(out), sink(err));
    stream.on("end", () => resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    stream.on("error", reject);
  });
}

async function main() {
  const docker = new Docker(); // DOCKER_HOST
  const result = {};
  const pull = await docker.pull("busybox:latest");
  await new Promise((resolve, reject) => docker.modem.followProgress(pull, (e) => (e ? reject(e) : resolve())));
  const container = await docker.createContainer({
    Image: "busybox:latest", name: "dockerode-box", Labels: { by: "dockerode" },
    Cmd: ["sh", "-c", "echo out-line; echo err-line >&2; exec sleep 1000"],
  });
  await container.start();
  for (let i = 0; i < 50; i++) {
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    // Without follow dockerode answers a Buffer of the multiplexed frames.
    const text = logs.toString();
    if (text.includes("err-line")) {
      result.logs = logs.toString("base64");
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exec = await container.exec({ Cmd: ["sh", "-c", "echo $((6*7)); exit 3"], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  result.exec = await demuxToString(docker, stream);
  result.execInspect = (({ ExitCode, Running }) => ({ ExitCode, Running }))(await exec.inspect());
  const info = await container.inspect();
  result.inspect = { Name: info.Name, Running: info.State.Running, Labels: info.Config.Labels, Image: info.Config.Image };
  result.listed = (await docker.listContainers({ filters: { label: ["by=dockerode"] } })).map((c) => c.Names);
  await container.stop({ t: 1 });
  result.stopped = (await container.inspect()).State;
  await container.remove();
  try {
    await container.inspect();
    result.afterRemove = "still there";
  } catch (error) {
    result.afterRemove = { statusCode: error.statusCode, message: error.json && error.json.message };
  }
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
