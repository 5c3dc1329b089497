# Stand-in for redis:7.2-bookworm (Debian's Redis 7.0): redis-server in the foreground, redis-cli.
FROM filed-local/debian:bookworm
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
USER redis
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
