// A minimal Marionette client (protocol 3) and a headless Thunderbird on a fresh, offline
// profile, for the Thunderbird tests. No dependency: frames are `<length>:<json>`, commands
// `[0, id, name, params]`, replies `[1, id, error, result]`.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const THUNDERBIRD = process.env.CACHET_THUNDERBIRD ?? '/usr/bin/thunderbird';

/** Prefs that keep a test profile offline and quiet: no first-run UI, updates, telemetry, autoconfig or remote settings. */
export const USER_PREFS = {
  'marionette.port': 0,
  'xpinstall.signatures.required': false,
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 5,
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'app.update.auto': false,
  'app.update.enabled': false,
  'app.update.checkInstallTime': false,
  'app.update.disabledForTesting': true,
  'mail.shell.checkDefaultClient': false,
  'mail.provider.enabled': false,
  'mail.provider.suppress_dialog_on_startup': true,
  'mail.accounthub.enabled': false,
  'mail.startup.enabledMailCheckOnce': true,
  'mail.rights.version': 1,
  'mail.winsearch.firstRunDone': true,
  'mail.spotlight.firstRunDone': true,
  'mailnews.start_page.enabled': false,
  'mailnews.auto_config_url': '',
  'mailnews.auto_config.addons_url': '',
  'mail.instrumentation.postUrl': '',
  'mail.instrumentation.askUser': false,
  'mail.instrumentation.userOptedIn': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'browser.shell.checkDefaultBrowser': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  // Belt and braces: any web request would go to a closed port on this machine.
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.socks_remote_dns': true,
  'network.proxy.no_proxies_on': '',
  'messenger.startup.action': 0,
  'calendar.timezone.local': 'UTC',
  'mailnews.message_display.disable_remote_image': true,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'mail.phishing.detection.enabled': false,
  'privacy.donottrackheader.enabled': true,
  'mail.cloud_files.enabled': false,
  'toolkit.startup.max_resumed_crashes': -1,
  'browser.dom.window.dump.enabled': true,
  'devtools.console.stdout.chrome': true,
  'extensions.logging.enabled': false,
  // The tests' page scripts run in tabs that stay in the background (the options page) and
  // poll every 0.1 s for what they wait for; Gecko clamps a background tab's timers to 1 s,
  // which made every step of theirs take a second. Not clamped here.
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  // Nobody watches a headless window: 30 frames a second instead of the display's 60 (fewer
  // frames rendered in software while a page changes; about a quarter of the renderer's CPU).
  // Screenshots render the window on their own, whatever the frame rate.
  'layout.frame_rate': 30,
};

function userJs(prefs) {
  return Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n';
}

/** A Marionette connection: `send(name, params)` resolves with the result or rejects with the error. */
export class Marionette {
  constructor(socket) {
    this.socket = socket;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = Buffer.alloc(0);
    this.hello = new Promise((resolve) => { this.onHello = resolve; });
    socket.on('data', (d) => this.read(d));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('Marionette connection closed'));
      this.pending.clear();
    });
  }

  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new Marionette(socket)));
      socket.once('error', reject);
    });
  }

  read(data) {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + len) return;
      const msg = JSON.parse(this.buffer.subarray(colon + 1, colon + 1 + len).toString());
      this.buffer = this.buffer.subarray(colon + 1 + len);
      if (!Array.isArray(msg)) {
        this.onHello(msg);
        continue;
      }
      const [, id, error, result] = msg;
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (error) p.reject(new Error(`${error.error}: ${error.message}${error.stacktrace ? `\n${error.stacktrace}` : ''}`));
      else p.resolve(result);
    }
  }

  send(name, params = {}) {
    const id = this.nextId++;
    const body = Buffer.from(JSON.stringify([0, id, name, params]));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(Buffer.concat([Buffer.from(`${body.length}:`), body]));
    });
  }

  /** Run `script` (a function body) in the chrome context; its return value comes back. */
  async chrome(script, args = [], timeout = 30_000) {
    const r = await this.send('WebDriver:ExecuteScript', { script, args, scriptTimeout: timeout, sandbox: 'system' });
    return r?.value;
  }

  /** Run `script` asynchronously: it calls `resolve(value)` (the last argument). */
  async chromeAsync(script, args = [], timeout = 30_000) {
    const body = `const resolve = arguments[arguments.length - 1]; (async () => { ${script} })().then(resolve, (e) => resolve({ __error: String(e) + '\\n' + (e && e.stack || '') }));`;
    const r = await this.send('WebDriver:ExecuteAsyncScript', { script: body, args, scriptTimeout: timeout, sandbox: 'system' });
    const v = r?.value;
    if (v && typeof v === 'object' && '__error' in v) throw new Error(v.__error);
    return v;
  }

  close() {
    this.socket.destroy();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The files of a profile that belong to a running Thunderbird, not to the profile. */
const RUNTIME_FILES = ['lock', '.parentlock', 'MarionetteActivePort'];

/**
 * A profile Thunderbird has started once (with USER_PREFS, nothing else: no account, no
 * add-on) and quit, which each test's profile starts as a copy of: the first start of a new
 * profile creates its databases and caches, about 0.5 s of CPU more than a start on this copy.
 * It lives in the system's temporary folder, named after the Thunderbird build and the prefs,
 * is made by the first test file that needs it and is never written to afterwards (made in a
 * folder of its own, then renamed into place; when two files make it at once, one keeps its own).
 */
async function profileTemplate() {
  const version = spawnSync(THUNDERBIRD, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } }).stdout ?? '';
  const key = crypto.createHash('sha256').update(`${THUNDERBIRD}\n${version}\n${userJs(USER_PREFS)}`).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `cachet-tb-template-${key}`);
  if (fs.existsSync(dir)) return dir;
  const tb = await launchThunderbird({ template: null });
  try {
    // A clean quit: Thunderbird writes its caches and databases out.
    await tb.m.send('Marionette:Quit', { flags: ['eForceQuit'] }).catch(() => undefined);
    const quit = await Promise.race([tb.exited, sleep(30_000).then(() => null)]);
    if (quit === null) throw new Error('Thunderbird did not quit within 30 s (making the profile template)');
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-tb-template-new-'));
    fs.cpSync(tb.profile, made, { recursive: true });
    for (const f of [...RUNTIME_FILES, 'user.js']) fs.rmSync(path.join(made, f), { force: true });
    try {
      fs.renameSync(made, dir);
    } catch {
      fs.rmSync(made, { recursive: true, force: true });
    }
  } finally {
    await tb.stop();
  }
  return dir;
}

/**
 * Start Thunderbird headless on a new profile in a temp dir (a copy of profileTemplate(); with
 * `template: null` an empty one) and connect to Marionette in
 * the chrome context. Its temporary folder (TMPDIR, Thunderbird's TmpD) is one of its own,
 * `tmpdir`: the Thunderbird test files run at the same time, and a test that looks for the
 * files its Thunderbird left there sees only those. `stop()` kills it by its PID and deletes the
 * profile and that folder.
 */
export async function launchThunderbird({ prefs = {}, log = null, template = undefined } = {}) {
  const from = template === undefined ? await profileTemplate() : template;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-tb-profile-'));
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-tb-tmp-'));
  if (from !== null) fs.cpSync(from, profile, { recursive: true });
  fs.writeFileSync(path.join(profile, 'user.js'), userJs({ ...USER_PREFS, ...prefs }));
  const env = { ...process.env, TMPDIR: tmpdir, MOZ_CRASHREPORTER_DISABLE: '1', MOZ_DISABLE_AUTO_SAFE_MODE: '1', MOZ_HEADLESS: '1' };
  const child = spawn(THUNDERBIRD, ['--headless', '--no-remote', '--profile', profile, '--marionette', '--remote-allow-system-access'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  // Output can still arrive after the 'exit' event (the pipes drain later), when the log's
  // folder may already be deleted with its world: nothing is written to the log once stop()
  // began, and a log that cannot be written is not the test's failure.
  let stopping = false;
  const keep = (d) => {
    output.push(d.toString());
    if (!log || stopping) return;
    try {
      fs.appendFileSync(log, d);
    } catch {
      /* the log's folder is gone */
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const whenExited = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const stop = async () => {
    stopping = true;
    if (exited === null && child.pid) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
    }
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(tmpdir, { recursive: true, force: true });
  };
  try {
    const portFile = path.join(profile, 'MarionetteActivePort');
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(portFile) || fs.readFileSync(portFile, 'utf8').trim() === '') {
      if (exited !== null) throw new Error(`Thunderbird exited (${JSON.stringify(exited)}) before Marionette started:\n${output.join('').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('Thunderbird did not start Marionette within 60 s');
      await sleep(100);
    }
    const port = Number(fs.readFileSync(portFile, 'utf8').trim());
    const m = await Marionette.connect(port);
    await m.hello;
    await m.send('WebDriver:NewSession', { capabilities: { alwaysMatch: { 'moz:accessibilityChecks': false } } });
    await m.send('Marionette:SetContext', { value: 'chrome' });
    // Scripts may wait for Thunderbird for a while (each says what it waits for when it gives up).
    await m.send('WebDriver:SetTimeouts', { script: 120_000 });
    const tmpD = await m.chrome('return Services.dirsvc.get("TmpD", Ci.nsIFile).path;');
    if (fs.realpathSync(tmpD) !== fs.realpathSync(tmpdir)) throw new Error(`Thunderbird's temporary folder is ${tmpD}, not the TMPDIR it was given (${tmpdir})`);
    return { m, profile, tmpdir, pid: child.pid, output, exited: whenExited, stop: async () => { m.close(); await stop(); } };
  } catch (e) {
    await stop();
    throw e;
  }
}
