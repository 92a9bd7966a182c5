/**
 * Why a RAPL counter cannot be read without root, and how an administrator lets a group read it.
 *
 * Since Linux 5.10 (and the stable kernels the fix was backported to) the powercap driver creates
 * energy_uj readable by root only (mode 0400): unprivileged reads of the energy counters were a power
 * side channel (CVE-2020-8694, the "Platypus" attack; docs/references.md). An ordinary user's open()
 * then fails with EACCES, and without this message llem would silently fall back to the CPU estimate.
 * The fix grants read access to one group, either at every device add (a udev rule, which also
 * covers a driver reload) or at boot (a systemd-tmpfiles line); both are printed by `llem env`.
 */

/** the group the printed lines grant read access to */
export const RAPL_READ_GROUP = 'powercap'

/** One line for `llem env` and the results: what was refused, and why the kernel refuses it. */
export function raplPermissionReason(file: string): string {
  return `permission denied reading ${file}: since Linux 5.10 the RAPL energy counters (energy_uj) are readable by root only (CVE-2020-8694, "Platypus"), so without root llem can only estimate CPU energy; grant a group read access (llem env prints how)`
}

/**
 * The lines an administrator runs or installs to let the `powercap` group read every zone's counter,
 * then adds the user to that group. `%p` is udev's device path under /sys; the tmpfiles `z` line
 * adjusts the mode and group of paths that already exist, and accepts a glob.
 */
export function raplReadAccessFix(group: string = RAPL_READ_GROUP): string[] {
  return [
    `sudo groupadd --system ${group}; sudo usermod -aG ${group} "$USER"   (then log in again)`,
    `udev rule, in /etc/udev/rules.d/70-${group}.rules (applied at boot and whenever the driver adds a zone):`,
    `  ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", RUN+="/bin/chgrp ${group} /sys%p/energy_uj", RUN+="/bin/chmod g+r /sys%p/energy_uj"`,
    `or a systemd-tmpfiles line, in /etc/tmpfiles.d/${group}.conf (applied at boot; now: sudo systemd-tmpfiles --create /etc/tmpfiles.d/${group}.conf):`,
    `  z /sys/class/powercap/intel-rapl:*/energy_uj 0440 root ${group} - -`,
  ]
}

/** Whether an errno code is the kernel refusing the read (not a missing or broken file). */
export function isPermissionError(code: string | undefined): boolean {
  return code === 'EACCES' || code === 'EPERM'
}
