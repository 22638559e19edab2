#!/bin/sh
# The embedded default Redis: use the one on 127.0.0.1:6379, start a local one if none answers.
set -eu
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then exit 0; fi
mkdir -p var/redis
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$(pwd)/var/redis" \
    --save "" --appendonly no --logfile "$(pwd)/var/redis/redis.log"
for i in 1 2 3 4 5 6 7 8 9 10; do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
    sleep 0.5
done
echo "Redis did not start on 127.0.0.1:6379" >&2
exit 1
