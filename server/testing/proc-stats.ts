/**
 * A process tree's own CPU time and memory from Linux's /proc, for the load bench: the console process and its
 * descendants (cluster workers), leaving out the embedded sandbox child and whatever runs under it.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every common Linux build). */
export const CLOCK_TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

/** A number of clock ticks (a difference of `cpuTicks`) in milliseconds of CPU. */
export const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

/** The fields after the command name (which may hold spaces and parentheses), numbered as in proc(5) from 3. */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // exited meanwhile
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** `root` and every descendant, except processes whose command line matches `exclude` (and their subtrees). */
export function processTree(root: number, exclude: RegExp): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = Number(statFields(pid)?.[1]); // field 4: ppid
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(pid);
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    if (exclude.test(commandLine(pid))) return;
    found.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return found;
}

const SANDBOX_COMMAND = /server\/sandbox\/cli\.ts/;

/** The console's processes: its main process and workers, without the embedded sandbox (server/sandbox/cli.ts). */
export const consoleProcesses = (consolePid: number) => processTree(consolePid, SANDBOX_COMMAND);

/** The embedded sandbox's processes under the console (for comparison only: not the console's CPU). */
export function sandboxProcesses(consolePid: number): number[] {
  const all = processTree(consolePid, /$^/);
  const mine = new Set(consoleProcesses(consolePid));
  return all.filter((pid) => !mine.has(pid));
}

/** utime + stime of every thread of these processes, in clock ticks (exited processes count nothing). */
export function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]); // fields 14 and 15: utime, stime
  }
  return ticks;
}

/** The summed resident set size of these processes, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
