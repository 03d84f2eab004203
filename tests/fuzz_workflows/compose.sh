#!/bin/sh
# docker-compose 1.29: the project's life (up, ps, logs, down) against a fuzzed daemon.
set -eu
F="$(dirname "$0")/compose.yml"
docker-compose -f "$F" -p fz up -d
docker-compose -f "$F" -p fz ps
docker-compose -f "$F" -p fz logs
docker-compose -f "$F" -p fz down -v -t 0
