# obdocker/docker-popd: the standalone Pop daemon (gRPC, pop:// VIM
# instances), a static Go binary in an image FROM scratch. Build it with
# `make image`.
#
# Configure it with POPD_AUTH=user:password[,user2:password2] (the VIM
# instance's dockerKey then holds user:password), or mount a TOML file
# written by `docker-popd init` and pass -cfg. It listens on 0.0.0.0:60000
# inside the container (the binary's own default is loopback, useless in a
# container). Like the plugin it runs as uid/gid 65532: add the Docker
# socket's group (--group-add) or run as root.
FROM scratch
COPY docker-popd obdocker-health /usr/local/bin/
COPY --chown=65532:65532 state/ /var/lib/docker-popd/
ENV POPD_STORE=/var/lib/docker-popd/docker-popd.db
VOLUME ["/var/lib/docker-popd"]
WORKDIR /var/lib/docker-popd
USER 65532:65532
EXPOSE 60000
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/obdocker-health", "tcp", "127.0.0.1:60000"]
ENTRYPOINT ["/usr/local/bin/docker-popd", "-addr", "0.0.0.0:60000"]
