# MODE selects the behaviour tests need:
#   (unset)      run until SIGTERM, then exit 0 at once
#   exit         exit at once with EXIT_CODE (default 0)
#   ignore-term  ignore SIGTERM (only SIGKILL stops it)
case "${MODE:-}" in
exit) exit "${EXIT_CODE:-0}" ;;
ignore-term)
	trap '' TERM
	while :; do sleep 1; done
	;;
*)
	# wait returns as soon as a trapped signal arrives (a foreground
	# sleep would hold SIGTERM back for up to a second).
	trap 'exit 0' TERM
	while :; do
		sleep 1 &
		wait $!
	done
	;;
esac
