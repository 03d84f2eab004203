#!/bin/sh
# The docker CLI reading every kind of object (fuzzed answers are parsed and formatted): DOCKER=/usr/bin/docker
# picks the 20.10 CLI.
set -eu
D=${DOCKER:-docker}
$D version
$D info
$D ps -a
$D ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}} {{.Labels}} {{.Mounts}} {{.Networks}} {{.Ports}}'
$D images
$D images --digests
$D inspect web old
$D image inspect acme/app:1.0
$D image history busybox
$D volume ls
$D volume inspect data
$D network ls
$D network inspect backend
$D system df
$D logs old
$D top web
