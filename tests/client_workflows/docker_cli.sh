#!/bin/sh
# A short realistic docker CLI workflow (run under `apicheck client`): network create/connect, run,
# exec, build, volume, ps, logs, then cleanup. DOCKER=/usr/bin/docker picks the 20.10 CLI.
set -eu
D=${DOCKER:-docker}
[ -n "${SKIP_PULL:-}" ] || $D pull -q busybox:latest >/dev/null  # SKIP_PULL: the image is there (an offline dockerd)
$D network create wf-net >/dev/null
$D volume create wf-vol >/dev/null
$D volume ls -q >/dev/null
$D run -d --name wf-app -v wf-vol:/data busybox sh -c 'echo started; sleep 3600' >/dev/null
$D network connect wf-net wf-app
$D exec wf-app sh -c 'echo hello > /data/x'
$D ps -a >/dev/null
$D logs wf-app >/dev/null
printf 'FROM busybox\nRUN echo built > /built\nCMD ["cat", "/built"]\n' > Dockerfile
DOCKER_BUILDKIT=0 $D build -q -t wf-img . >/dev/null 2>&1 || DOCKER_BUILDKIT=0 $D build -t wf-img .
$D run --rm wf-img >/dev/null
$D network disconnect wf-net wf-app
$D rm -f wf-app >/dev/null
$D network rm wf-net >/dev/null
$D volume rm wf-vol >/dev/null
