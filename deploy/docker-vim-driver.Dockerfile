# obdocker/docker-vim-driver: the Open Baton VIM driver plugin for Docker,
# a static Go binary (CGO_ENABLED=0) in an image FROM scratch. Build it with
# `make image` (deploy/build-image.sh prepares the context: nothing is
# pulled, the legacy builder is enough).
#
# It runs as uid/gid 65532, not root. The Docker socket is root:docker 0660,
# so give the container the socket's group:
#   docker run --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock ...
# or run it as root (--user 0). No CA certificates are needed: the broker
# is plain AMQP and Docker TLS material comes from each VIM instance.
FROM scratch
COPY docker-vim-driver obdocker-health /usr/local/bin/
# The Pop stores (one bbolt file per Docker endpoint); an empty directory
# owned by the runtime user, so a named volume mounted here inherits it.
COPY --chown=65532:65532 state/ /var/lib/obdocker/
ENV OBDOCKER_STATE_DIR=/var/lib/obdocker \
    OBDOCKER_DOCKER_HOST=unix:///var/run/docker.sock \
    OBDOCKER_BROKER_HOST=rabbitmq
VOLUME ["/var/lib/obdocker"]
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/obdocker-health", "plugin"]
ENTRYPOINT ["/usr/local/bin/docker-vim-driver"]
