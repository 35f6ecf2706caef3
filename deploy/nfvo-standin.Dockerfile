# obdocker/nfvo-standin: the NFVO stand-in (cmd/nfvo-standin) for the
# compose test only (deploy/compose-test.override.yml puts it in place of
# the Java NFVO and its MySQL, which cannot run without a registry). A
# static Go binary FROM scratch: `deploy/build-image.sh nfvo-standin`.
# Users run openbaton/nfvo.
FROM scratch
COPY nfvo-standin /usr/local/bin/
# Its records (NSRs, VNFRs, VIM instances), kept on a volume.
COPY --chown=65532:65532 state/ /var/lib/nfvo-standin/
ENV OBDOCKER_NFVO_STATE_DIR=/var/lib/nfvo-standin
VOLUME ["/var/lib/nfvo-standin"]
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/nfvo-standin", "health"]
ENTRYPOINT ["/usr/local/bin/nfvo-standin"]
