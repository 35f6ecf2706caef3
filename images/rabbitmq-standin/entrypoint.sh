#!/bin/sh
# Entry point of the stand-in for rabbitmq:3-management (see build.sh).
# Like the official image it turns RABBITMQ_DEFAULT_USER/PASS into the
# default user (created as administrator on the first boot of an empty data
# directory only) and keeps the data under /var/lib/rabbitmq/mnesia/rabbit@<hostname>,
# so a fixed hostname lets a volume outlive the container.
set -eu

user=${RABBITMQ_DEFAULT_USER:-guest}
pass=${RABBITMQ_DEFAULT_PASS:-guest}
# rabbitmq.conf (cuttlefish) has no quoting: refuse what it would misread
# rather than start with another password than the one asked for.
case "$user$pass" in
*[[:space:]#]*)
	echo "rabbitmq-standin: RABBITMQ_DEFAULT_USER/PASS must not contain spaces or '#'" >&2
	exit 2
	;;
esac

cat >/etc/rabbitmq/rabbitmq.conf <<CONF
# Written by the entry point at every start.
loopback_users = none
listeners.tcp.default = 5672
management.tcp.port = 15672
log.console = true
log.console.level = info
log.file = false
default_user = $user
default_pass = $pass
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
CONF
chmod 0640 /etc/rabbitmq/rabbitmq.conf
chown root:rabbitmq /etc/rabbitmq/rabbitmq.conf

# A fresh named volume is root's until the first start.
chown rabbitmq:rabbitmq /var/lib/rabbitmq
mkdir -p /var/log/rabbitmq && chown rabbitmq:rabbitmq /var/log/rabbitmq

# The node name (and with it the data directory) follows the hostname, as
# in the official image.
export RABBITMQ_NODENAME="rabbit@$(hostname -s)"
# The Erlang cookie lives in the data directory (HOME), as the CLI tools of
# the health check expect.
export HOME=/var/lib/rabbitmq
cd /var/lib/rabbitmq
exec runuser -u rabbitmq -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
