# obdocker/docker-vnfm: the Docker VNFM (cmd/docker-vnfm, docs/vnfm.md), a
# static Go binary in an image FROM scratch. Build it with `make image`.
# It talks only to the broker (the NFVO and the VIM driver plugin), never to
# Docker, so it needs no socket and runs as uid/gid 65532.
FROM scratch
COPY docker-vnfm obdocker-health /usr/local/bin/
# The VIM instances of earlier deployments, so a restarted VNFM still
# reaches their containers.
COPY --chown=65532:65532 state/ /var/lib/docker-vnfm/
ENV OBDOCKER_VNFM_STATE_DIR=/var/lib/docker-vnfm \
    OBDOCKER_VNFM_BROKER_HOST=rabbitmq
VOLUME ["/var/lib/docker-vnfm"]
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/obdocker-health", "vnfm"]
ENTRYPOINT ["/usr/local/bin/docker-vnfm"]
