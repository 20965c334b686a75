// The process that starts the processes of the native cells (bench/native.mjs: the timed runs
// and the /usr/bin/time runs of peak memory alike), each asked for over IPC: `{cmd, args,
// stdin, stdout}` (stdin and stdout file paths or null), answered with `{ms, status, error,
// stderr}`, the wall time from before the start to the exit.
//
// Why a process of its own: starting a process forks its parent first, and the fork takes
// longer the more memory the parent holds (measured: a parent holding 800 MB more made a 25 MB
// decrypt+verify take 77 instead of 53 ms). The benchmark's own process holds fixtures and
// results and would add that to every cell, Cachet's and openssl's alike; this one holds
// nothing and is idle between requests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

process.on('message', ({ cmd, args, stdin, stdout }) => {
  const fds = [];
  const open = (file, flags) => {
    const fd = fs.openSync(file, flags);
    fds.push(fd);
    return fd;
  };
  let answer;
  try {
    const input = stdin ? open(stdin, 'r') : 'ignore';
    const output = stdout ? open(stdout, 'w') : 'ignore';
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: [input, output, 'pipe'], maxBuffer: 1 << 26 });
    const ms = performance.now() - t0;
    answer = { ms, status: r.status, error: r.error ? r.error.message : null, stderr: String(r.stderr ?? '') };
  } catch (e) {
    answer = { ms: 0, status: null, error: String(e && e.message ? e.message : e), stderr: '' };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
  process.send(answer);
});
