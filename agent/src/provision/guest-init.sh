#!/bin/busybox sh
# The first process of a Gridchain micro-VM, from the initramfs the agent builds. It runs inside
# the guest's own kernel: nothing here reaches the host. It loads the virtio drivers, mounts the
# image's filesystem (the disk whose serial is `root`) and the document's disks (serial
# `disk-NAME`), sets up the two interfaces the agent wired (found by their MAC), and hands PID 1
# to the workload's command inside the image's root. The agent's settings for this VM are in
# /.gridchain/vm.conf of that filesystem.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /modules); do
	insmod "/lib/modules/$module.ko" 2>/dev/null
done

fail() {
	echo "gridchain-init: $*" >&2
	poweroff -f
}

# /dev/vdX of the virtio disk with serial $1.
device_of() {
	for block in /sys/block/vd*; do
		if [ "$(cat "$block/serial" 2>/dev/null)" = "$1" ]; then
			echo "/dev/${block##*/}"
			return 0
		fi
	done
	return 1
}

# The interface with MAC $1.
interface_of() {
	for net in /sys/class/net/*; do
		if [ "$(cat "$net/address")" = "$1" ]; then
			echo "${net##*/}"
			return 0
		fi
	done
	return 1
}

tries=0
until root=$(device_of root); do
	tries=$((tries + 1))
	[ "$tries" -gt 100 ] && fail "no root disk"
	sleep 0.05
done
mkdir -p /newroot
mount -t ext4 "$root" /newroot || fail "cannot mount the root filesystem"
[ -f /newroot/.gridchain/vm.conf ] || fail "no /.gridchain/vm.conf"
. /newroot/.gridchain/vm.conf

hostname "$hostname"
ip link set lo up
private=$(interface_of "$private_mac") || fail "no private interface"
ip addr add "$private_ip" dev "$private"
ip link set "$private" up
if [ -n "$public_ip" ]; then
	public=$(interface_of "$public_mac") || fail "no public interface"
	ip addr add "$public_ip" dev "$public"
	ip link set "$public" up
	ip route add "$subnet" via "$private_gateway" dev "$private"
	ip route add default via "$public_gateway" dev "$public"
else
	ip route add default via "$private_gateway" dev "$private"
fi
if [ -d /newroot/etc ]; then
	echo "nameserver $dns" > /newroot/etc/resolv.conf
fi

# Disks: "SERIAL MOUNT_POINT" a line.
echo "$mounts" | while read -r serial point; do
	[ -n "$serial" ] || continue
	device=$(device_of "$serial") || fail "no disk $serial"
	mkdir -p "/newroot$point"
	mount -t ext4 "$device" "/newroot$point" || fail "cannot mount $serial at $point"
done

if [ -f /newroot/.gridchain/authorized_keys ]; then
	mkdir -p /newroot/root/.ssh
	chmod 700 /newroot/root/.ssh
	cp /newroot/.gridchain/authorized_keys /newroot/root/.ssh/authorized_keys
	chmod 600 /newroot/root/.ssh/authorized_keys
fi

for dir in proc sys dev; do
	mkdir -p "/newroot/$dir"
	mount --move "/$dir" "/newroot/$dir"
done
cp /bin/busybox /newroot/.gridchain/busybox
exec switch_root /newroot /.gridchain/busybox sh /.gridchain/start
