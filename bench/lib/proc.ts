import fs from 'node:fs';

/** Resident set size of a process in bytes (`VmRSS` of /proc/<pid>/status); null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Proportional set size in bytes (`Pss` of /proc/<pid>/smaps_rollup): shared pages are split
 * between the processes that map them, so PSS values of related processes (PostgreSQL's
 * backends and its shared buffers) add up without counting shared memory twice.
 */
export function pssBytes(pid: number): number | null {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU time (user + system) a process has used so far, in milliseconds; null when it is gone.
 * `reapedChildren`: plus the CPU of its children that have exited and been waited for
 * (`cutime` + `cstime`), so that a parent whose children come and go (PostgreSQL's postmaster and
 * its backends) gives a total that never goes down when one of them exits.
 */
export function cpuMs(pid: number, reapedChildren = false): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const children = reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((utime + stime + children) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Direct children of a process (by `PPid` in /proc/<pid>/status). */
export function childPids(parent: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const match = /^PPid:\s+(\d+)/m.exec(status);
      if (match && Number(match[1]) === parent) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

export const MiB = 1024 * 1024;

export function mib(bytes: number | null | undefined, digits = 1): string {
  return bytes === null || bytes === undefined ? '–' : (bytes / MiB).toFixed(digits);
}
