# MODE selects the behaviour tests need:
#   (unset)      run until SIGTERM, then exit 0
#   exit         exit at once with EXIT_CODE (default 0)
#   ignore-term  ignore SIGTERM (only SIGKILL stops it)
case "${MODE:-}" in
exit) exit "${EXIT_CODE:-0}" ;;
ignore-term)
	trap '' TERM
	while :; do sleep 1; done
	;;
*)
	trap 'exit 0' TERM
	while :; do sleep 1; done
	;;
esac
