#!/.gridchain/busybox sh
# Runs as PID 1 inside the image's root, after the guest's init: the image's and the document's
# environment, then the workload's command (looked up in the image's PATH, never as one of
# busybox's own applets).
. /.gridchain/command
if [ -n "$workdir" ]; then
	cd "$workdir" 2>/dev/null || cd /
fi
case "$1" in
*/*) exec "$@" ;;
esac
IFS=:
for dir in ${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}; do
	if [ -x "$dir/$1" ] && [ ! -d "$dir/$1" ]; then
		unset IFS
		program="$dir/$1"
		shift
		exec "$program" "$@"
	fi
done
echo "gridchain-init: $1: not found in PATH" >&2
exit 127
