#!/bin/busybox sh
# /init of the test VM's initramfs: mount the basics, run the suite, power off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
sh /vm-suite.sh
poweroff -f
