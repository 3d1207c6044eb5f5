#!/usr/bin/env node
// A stand-in training job for the node agent: numbered steps, a checkpoint every few steps and on SIGTERM,
// resume from the last checkpoint. Needs only Node.js. It keeps a small status file that the agent reads and
// reports (stepsDone, checkpoints, resumes, lostSteps); see docs/AGENT.md for the contract.
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const options = { steps: 100, stepMs: 1000, checkpointEvery: 10, failAtStep: 0, ignoreSigterm: false, throughput: [1] };
  const numbers = { '--steps': 'steps', '--step-ms': 'stepMs', '--checkpoint-every': 'checkpointEvery', '--fail-at-step': 'failAtStep' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ignore-sigterm') {
      options.ignoreSigterm = true;
    } else if (arg === '--throughput') {
      const values = String(argv[++i]).split(',').map(Number);
      if (values.length === 0 || values.some(v => !Number.isFinite(v) || v <= 0)) {
        fail(`--throughput needs positive numbers separated by commas (speed with 1, 2, ... nodes), got '${argv[i]}'`);
      }
      options.throughput = values;
    } else if (numbers[arg] !== undefined) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) {
        fail(`${arg} needs a non-negative integer, got '${argv[i]}'`);
      }
      options[numbers[arg]] = value;
    } else {
      fail(`unknown argument '${arg}' (known: --steps, --step-ms, --checkpoint-every, --fail-at-step, --ignore-sigterm, --throughput)`);
    }
  }
  if (options.steps < 1 || options.checkpointEvery < 1) {
    fail('--steps and --checkpoint-every must be at least 1');
  }
  return options;
}

function fail(message) {
  process.stderr.write(`train.js: ${message}\n`);
  process.exit(2);
}

// Write-then-rename, so that a reader (or a kill -9 mid-write) never sees half a file.
function writeJson(file, value) {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(value) + '\n');
  fs.renameSync(temp, file);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') {
      return null;
    }
    throw new Error(`${file} is not readable JSON: ${error.message}`);
  }
}

const options = parseArgs(process.argv.slice(2));
const jobId = process.env.CARBON_JOB_ID || 'local';
// On the demo's scaled clock (CARBON_TIME_SCALE virtual seconds per wall second) a step of --step-ms takes that
// much less wall time, so that the job's steps fill its planned hours of virtual time.
const timeScale = Number(process.env.CARBON_TIME_SCALE || '1');
if (!Number.isFinite(timeScale) || timeScale < 1) {
  fail(`CARBON_TIME_SCALE must be a number >= 1, got '${process.env.CARBON_TIME_SCALE}'`);
}
const stepWallMs = options.stepMs / timeScale;
// Data parallel across the nodes of a pool when they share the job's folder (CARBON_JOB_DIR, as the local agents'
// nodes do): node 0 leads and owns the steps and the checkpoints; every other node joins the group by keeping a
// file fresh in peers/, and the leader steps as fast as the group's size allows (--throughput: speed with 1, 2, ...
// nodes, the job's pool.relativeThroughput). The leader's last step writes "finished", which ends the followers.
const node = process.env.CARBON_NODE || '0';
const jobDir = process.env.CARBON_JOB_DIR || null;
const peersDir = jobDir === null ? null : path.join(jobDir, 'peers');
const finishedFile = jobDir === null ? null : path.join(jobDir, 'finished');
if (peersDir !== null) {
  fs.mkdirSync(peersDir, { recursive: true });
}

if (jobDir !== null && node !== '0') {
  follow();
} else {
  lead();
}

function follow() {
  const mine = path.join(peersDir, node);
  const leave = (why) => {
    fs.rmSync(mine, { force: true });
    console.log(`[${jobId}] node ${node} leaves the group: ${why}`);
    process.exit(0);
  };
  const beat = () => {
    if (fs.existsSync(finishedFile)) {
      leave('the leader finished');
    }
    fs.writeFileSync(mine, String(Date.now()));
  };
  process.on('SIGTERM', () => {
    if (options.ignoreSigterm) {
      console.log(`[${jobId}] SIGTERM ignored (--ignore-sigterm)`);
      return;
    }
    leave('SIGTERM');
  });
  console.log(`[${jobId}] node ${node} joins the group led by node 0`);
  beat();
  setInterval(beat, Math.max(20, stepWallMs));
}

/// The group's size: the leader and every follower whose file is fresh.
function groupSize() {
  if (peersDir === null) {
    return 1;
  }
  const freshMs = Math.max(500, 3 * stepWallMs);
  const now = Date.now();
  let size = 1;
  for (const name of fs.readdirSync(peersDir)) {
    try {
      if (now - fs.statSync(path.join(peersDir, name)).mtimeMs <= freshMs) {
        size += 1;
      }
    } catch (error) {
      // A follower left between the listing and the stat: not in the group.
    }
  }
  return size;
}

function lead() {
  const checkpointDir = process.env.CARBON_CHECKPOINT_DIR || path.join(process.cwd(), 'checkpoints');
  fs.mkdirSync(checkpointDir, { recursive: true });
  const checkpointFile = path.join(checkpointDir, 'checkpoint.json');
  const statusFile = process.env.CARBON_STATUS_FILE || path.join(checkpointDir, 'status.json');

  // Counters are cumulative over every run of this job on this node; the status file carries them across resumes.
  const previous = readJson(statusFile) || {};
  const checkpoint = readJson(checkpointFile);
  const status = {
    jobId,
    state: 'running',
    totalSteps: options.steps,
    stepsDone: 0,
    highestStep: previous.highestStep || 0,
    lastCheckpointStep: 0,
    checkpoints: previous.checkpoints || 0,
    resumes: previous.resumes || 0,
    lostSteps: previous.lostSteps || 0,
    pid: process.pid,
  };

  if (checkpoint !== null || process.env.CARBON_RESUMED === '1') {
    const from = checkpoint === null ? 0 : checkpoint.step;
    status.resumes += 1;
    // The steps the previous run completed after its last checkpoint are done again: that is the work an
    // unannounced stop throws away. (Its stepsDone is where it got to; each redone step is counted once.)
    status.lostSteps += Math.max(0, (previous.stepsDone || 0) - from);
    status.stepsDone = from;
    status.lastCheckpointStep = from;
    console.log(`[${jobId}] resuming at step ${from} (highest step before: ${status.highestStep})`);
  }
  writeJson(statusFile, status);

  function saveCheckpoint() {
    if (status.lastCheckpointStep === status.stepsDone && fs.existsSync(checkpointFile)) {
      return;
    }
    writeJson(checkpointFile, { jobId, step: status.stepsDone, savedAt: new Date().toISOString() });
    status.lastCheckpointStep = status.stepsDone;
    status.checkpoints += 1;
  }

  let timer = null;

  function finish(state, exitCode) {
    status.state = state;
    status.exitCode = exitCode;
    writeJson(statusFile, status);
    console.log(JSON.stringify(status));
    process.exit(exitCode);
  }

  function step() {
    const next = status.stepsDone + 1;
    if (options.failAtStep > 0 && next === options.failAtStep) {
      process.stderr.write(`[${jobId}] simulated crash at step ${next}\n`);
      finish('failed', 3);
    }
    status.stepsDone = next;
    status.highestStep = Math.max(status.highestStep, next);
    if (next % options.checkpointEvery === 0 || next === options.steps) {
      saveCheckpoint();
    }
    writeJson(statusFile, status);
    if (next >= options.steps) {
      if (finishedFile !== null) {
        fs.writeFileSync(finishedFile, new Date().toISOString());
      }
      finish('finished', 0);
    }
    timer = setTimeout(step, nextStepMs());
  }

  // Steps are due on a schedule, not a fixed sleep after each: the time a step's own work takes (and a busy
  // machine's late timers) does not add up over hundreds of steps.
  let due = Date.now();
  function nextStepMs() {
    const size = groupSize();
    status.nodes = size;
    due += stepWallMs / options.throughput[Math.min(size, options.throughput.length) - 1];
    return Math.max(0, due - Date.now());
  }

  process.on('SIGTERM', () => {
    if (options.ignoreSigterm) {
      console.log(`[${jobId}] SIGTERM ignored (--ignore-sigterm)`);
      return;
    }
    // The step in flight is abandoned (it was not completed, so it is not lost work); the completed ones are saved.
    clearTimeout(timer);
    saveCheckpoint();
    console.log(`[${jobId}] checkpoint at step ${status.stepsDone} on SIGTERM`);
    finish('checkpointed', 0);
  });

  if (status.stepsDone >= options.steps) {
    finish('finished', 0);
  }
  console.log(`[${jobId}] training ${options.steps} steps of ${options.stepMs} ms (${stepWallMs} ms wall) from step ${status.stepsDone}, checkpoint every ${options.checkpointEvery}`);
  timer = setTimeout(step, nextStepMs());
}
