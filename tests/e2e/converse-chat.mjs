#!/usr/bin/env node
// End-to-end BOSH chat with Converse.js, the browser XMPP client: the
// published converse.js bundle runs in headless Chromium (driven through
// puppeteer-core), one browser context per user. Both users log in through a
// BOSH connection manager, each opens a chat with the other although neither
// is in the other's roster (Converse checks the XEP-0191 blocklist first:
// that stalls forever on a server without blocking), both send numbered
// messages at the same time, each side must get the other's messages in
// order, once each, and see them in its chat view, then both log out.
//
//   node tests/e2e/converse-chat.mjs --url http://127.0.0.1:PORT/http-bind \
//       --domain localhost [--messages 20] [--user1 alice --pass1 alice-pw \
//       --user2 bob --pass2 bob-pw] [--timeout 60] [--chromium PATH] \
//       [--loglevel warn] [--verbose]
//
// The page is served from its own http://127.0.0.1:PORT2/ (a small static
// server here), so the BOSH requests are cross-origin, as in a real
// deployment: the CM must answer CORS preflights.
//
// The Converse bundle comes from fetch-converse.mjs (pinned version and
// integrity, cached in tests/e2e/.cache/); it is fetched on the first run.
//
// Output: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, N failed". Exit code 0 only when every check passed.
// See README.md beside this file.

import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CONVERSE_VERSION, ensureConverse } from './fetch-converse.mjs';
import * as lib from './lib.mjs';
import { COMMON_OPTIONS, parseCommandLine, Report, usersOf } from './lib.mjs';

// ---- command line ---------------------------------------------------------

const USAGE = `usage: node converse-chat.mjs --url URL --domain DOMAIN [--messages N]
       [--user1 U --pass1 P --user2 U --pass2 P] [--timeout SECONDS]
       [--chromium PATH] [--loglevel debug|info|warn|error] [--verbose]

  --chromium   the Chromium binary (default: $CHROMIUM, else /usr/bin/chromium)
  --loglevel   Converse's log level in the page (default warn; debug logs every BOSH body)
  --verbose    copy the pages' console to stderr as it happens`;

const LOGLEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];

function parseCli() {
    const { values, url, num } = parseCommandLine(USAGE, {
        ...COMMON_OPTIONS,
        messages: { type: 'string', default: '20' },
        chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
        loglevel: { type: 'string', default: 'warn' },
        verbose: { type: 'boolean', default: false },
    });
    if (!LOGLEVELS.includes(values.loglevel)) {
        console.error(`--loglevel must be one of ${LOGLEVELS.join(', ')}\n${USAGE}`);
        process.exit(2);
    }
    return {
        url: url.href,
        urlHost: url.hostname,
        domain: values.domain,
        messages: Math.floor(num('messages', 1)),
        timeoutMs: num('timeout', 1) * 1000,
        chromium: values.chromium,
        loglevel: values.loglevel,
        verbose: values.verbose,
        users: usersOf(values),
    };
}

const opts = parseCli();
const runId = randomBytes(4).toString('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const report = new Report();
// Once the overall timeout has cut the run off, what the test was still doing
// no longer counts (it fails as the browser goes away); it is only traced.
let timedOut = false;
function check(ok, description, details) {
    if (timedOut) {
        trace(`after the timeout: ${ok ? 'ok' : 'not ok'} - ${description}`);
        return false;
    }
    return report.check(ok, description, details);
}
let t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(3)}s`;

// ---- diagnostics ------------------------------------------------------------

// The pages' console errors and warnings, uncaught page errors and failed
// requests, plus our own traces; printed (the last ones) when a check failed.
const diag = [];
const DIAG_MAX = 300;
function trace(line) {
    const entry = `[${elapsed()}] ${line}`;
    diag.push(entry.length > 400 ? `${entry.slice(0, 400)}...` : entry);
    if (diag.length > DIAG_MAX) diag.shift();
    if (opts.verbose) process.stderr.write(`# ${entry}\n`);
}

// ---- the page and its static server -------------------------------------------

const MIME = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.map': 'application/json',
    '.wasm': 'application/wasm',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.gif': 'image/gif',
    '.ico': 'image/x-icon',
    '.woff': 'font/woff',
    '.woff2': 'font/woff2',
    '.ttf': 'font/ttf',
    '.mp3': 'audio/mpeg',
    '.ogg': 'audio/ogg',
};

// Converse loads its chunks, emoji.json, sounds and so on from assets_path,
// '/dist' by default; the page itself only loads the bundle and its CSS.
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>boshd e2e: Converse.js ${CONVERSE_VERSION}</title>
<link rel="stylesheet" href="/dist/converse.min.css">
<script type="module" src="/dist/converse.min.js"></script>
</head>
<body></body>
</html>
`;

// Serves / (INDEX_HTML) and /dist/* (files under |distDir|) on 127.0.0.1:0.
function startStaticServer(distDir) {
    const server = createServer((req, res) => {
        let path;
        try {
            path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
        } catch {
            res.writeHead(400).end();
            return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            res.writeHead(405).end();
            return;
        }
        if (path === '/' || path === '/index.html') {
            res.writeHead(200, { 'content-type': MIME['.html'], 'cache-control': 'no-store' }).end(INDEX_HTML);
            return;
        }
        if (path === '/favicon.ico') {
            res.writeHead(204).end();
            return;
        }
        if (path.startsWith('/dist/')) {
            const file = normalize(join(distDir, path.slice('/dist/'.length)));
            if (file.startsWith(distDir + sep)) {
                let st;
                try {
                    st = statSync(file);
                } catch {
                    st = null;
                }
                if (st?.isFile()) {
                    res.writeHead(200, {
                        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
                        'content-length': st.size,
                    });
                    if (req.method === 'HEAD') res.end();
                    else createReadStream(file).pipe(res);
                    return;
                }
            }
        }
        trace(`static server: 404 ${path}`);
        res.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

// ---- what runs in the page ----------------------------------------------------

// Registers the 'boshd-test' plugin, which exposes Converse's _converse (and
// so its api) to the test as window.boshdTest and records what the test
// checks, then starts Converse. Runs in the page (serialized by puppeteer).
function startConverse(settings) {
    const { Strophe } = window.converse.env;
    const statusNames = Object.fromEntries(Object.entries(Strophe.Status).map(([k, v]) => [v, k]));
    const t = {
        tInit: performance.now(),
        tConnected: null,
        connected: false,
        disconnected: false,
        initialPresenceSent: false,
        statuses: [], // [ms since init, STATUS name, message]
        received: [], // message stanzas with a body, as Strophe got them: { from, id, type, body }
        errors: [], // error stanzas
        api: null,
        _converse: null,
    };
    window.boshdTest = t;
    const since = () => Math.round(performance.now() - t.tInit);

    window.converse.plugins.add('boshd-test', {
        initialize() {
            const _converse = this._converse;
            const { api } = _converse;
            t._converse = _converse;
            t.api = api;
            api.listen.on('connfeedback', (feedback) => {
                const status = feedback.get('connection_status');
                t.statuses.push([since(), statusNames[status] ?? String(status), feedback.get('message') ?? '']);
            });
            api.listen.on('connected', () => {
                t.connected = true;
                t.tConnected = performance.now();
                // Every message stanza in arrival order, before Converse's
                // own (asynchronous) processing.
                api.connection.get().addHandler(
                    (stanza) => {
                        const from = Strophe.getBareJidFromJid(stanza.getAttribute('from') ?? '');
                        const type = stanza.getAttribute('type') ?? '';
                        if (type === 'error') {
                            t.errors.push(`error from ${from}: ${Strophe.serialize(stanza).slice(0, 300)}`);
                            return true;
                        }
                        const body = stanza.getElementsByTagName('body')[0];
                        if (body) t.received.push({ from, type, id: stanza.getAttribute('id') ?? '', body: body.textContent });
                        return true;
                    },
                    null,
                    'message',
                );
            });
            api.listen.on('disconnected', () => {
                t.disconnected = true;
            });
            // The initial presence (no type, no 'to'): once it is out, a ping
            // answered by the server proves that it was processed.
            api.listen.on('send', (el) => {
                if (el.tagName === 'presence' && !el.getAttribute('type') && !el.getAttribute('to')) {
                    t.initialPresenceSent = true;
                }
            });
        },
    });
    window.converse.initialize({ ...settings, whitelisted_plugins: ['boshd-test'] }).catch((e) => {
        t.statuses.push([since(), 'INITIALIZE-FAILED', String(e?.stack ?? e)]);
    });
}

// ---- one user: a browser context with Converse logged in --------------------

class User {
    constructor({ name, pass }) {
        this.name = name;
        this.pass = pass;
        this.bare = `${name}@${opts.domain}`;
        this.other = null;
        this.context = null;
        this.page = null;
        this.console = []; // the page's console errors/warnings and page errors
        this.bosh = { posts: 0, statuses: {}, failed: [], terminates: [] };
        this.sentIds = [];
    }

    async open(browser, pageUrl) {
        this.context = await browser.createBrowserContext();
        this.page = await this.context.newPage();
        const page = this.page;
        page.setDefaultTimeout(Math.max(1000, remaining()));
        page.on('console', (msg) => {
            const type = msg.type();
            const text = `${this.name} console.${type}: ${msg.text()}`;
            if (type === 'error' || type === 'warn' || type === 'warning') {
                this.console.push(text.length > 300 ? `${text.slice(0, 300)}...` : text);
                if (this.console.length > 200) this.console.shift();
            }
            if (opts.verbose) process.stderr.write(`# [${elapsed()}] ${text}\n`);
        });
        page.on('pageerror', (err) => {
            const text = `${this.name} pageerror: ${err?.message ?? err}`;
            this.console.push(text.slice(0, 300));
            trace(text);
        });
        // The BOSH requests as the browser made them: how many, their HTTP
        // status, and the terminate body with its answer.
        page.on('request', (req) => {
            if (req.url() !== opts.url || req.method() !== 'POST') return;
            this.bosh.posts++;
            const body = req.postData() ?? '';
            if (/<body\b[^>]*\btype=(["'])terminate\1/.test(body)) {
                this.bosh.terminates.push({ req, at: elapsed(), status: null, response: '' });
                trace(`${this.name} sends terminate: ${body.slice(0, 300)}`);
            }
        });
        page.on('requestfinished', async (req) => {
            if (req.url() !== opts.url || req.method() !== 'POST') return;
            const status = req.response()?.status() ?? 0;
            this.bosh.statuses[status] = (this.bosh.statuses[status] ?? 0) + 1;
            const term = this.bosh.terminates.find((x) => x.req === req);
            if (term) {
                term.status = status;
                term.response = await req
                    .response()
                    .text()
                    .catch((e) => `(body unavailable: ${e.message})`);
                trace(`${this.name} terminate answered ${status}: ${term.response.slice(0, 300)}`);
            }
        });
        page.on('requestfailed', (req) => {
            const what = `${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'failed'}`;
            if (req.url() === opts.url && req.method() === 'POST') this.bosh.failed.push(what);
            trace(`${this.name} request failed: ${what}`);
        });
        await page.goto(pageUrl, { waitUntil: 'load' });
        await page.waitForFunction(() => typeof window.converse?.initialize === 'function', { timeout: 15000 });
    }

    start() {
        return this.page.evaluate(startConverse, {
            bosh_service_url: opts.url,
            websocket_url: undefined,
            discover_connection_methods: false,
            jid: `${this.bare}/converse-${runId}`,
            password: this.pass,
            auto_login: true,
            authentication: 'login',
            // Not 'fullscreen': its control box footer loads sponsor logos
            // from conversejs.org (which cannot resolve here).
            view_mode: 'overlayed',
            // Each context starts empty; keep it so: session storage only,
            // no SCRAM keys kept, everything cleared on logout.
            persistent_store: 'sessionStorage',
            reuse_scram_keys: false,
            clear_cache_on_logout: true,
            loglevel: opts.loglevel,
            play_sounds: false,
            show_desktop_notifications: false,
            allow_non_roster_messaging: true,
        });
    }

    // Runs fn(t, arg) in the page with t = window.boshdTest.
    run(fn, arg) {
        return this.page.evaluate(`(${fn})(window.boshdTest, ${JSON.stringify(arg ?? null)})`);
    }

    async waitFor(fn, arg, ms, what) {
        try {
            await this.page.waitForFunction(`(${fn})(window.boshdTest, ${JSON.stringify(arg ?? null)})`, {
                timeout: Math.max(1, ms),
                polling: 50,
            });
            return true;
        } catch (e) {
            trace(`${this.name}: no ${what} within ${ms} ms (${e.message.split('\n')[0]})`);
            return false;
        }
    }

    statusesText() {
        return this.run((t) => t.statuses.map(([ms, s, m]) => `${ms}ms ${s}${m ? ` (${m})` : ''}`).join('\n')).catch(
            (e) => `(page unavailable: ${e.message})`,
        );
    }
}

// ---- message bodies and their verification -------------------------------------

const messageBody = (from, to, i, n) => lib.messageBody(runId, from, to, i, n);

// Checks that |list| (bodies in the order seen) holds exactly messages 1..n
// from tx to rx, in order, once each. Returns [ok, "k/n", problems].
function verifyBodies(list, tx, rx, n) {
    const r = lib.checkSequence(
        list.map((body) => ({ body })),
        n,
        (i) => messageBody(tx.name, rx.name, i, n),
    );
    if (r.problems.length && r.order.length) r.problems.push(`order seen: ${r.order.join(',')}`);
    return [r.problems.length === 0, r.count, r.problems.slice(0, 12).join('\n')];
}

// ---- Chromium's processes -------------------------------------------------------

// Live processes whose command line mentions |marker|: our private profile
// and config directory, which the browser, its zygotes, renderers, utility
// processes and (through XDG_CONFIG_HOME) Debian's crashpad handlers all name.
function processesWith(marker) {
    const found = [];
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) found.push(Number(name));
        } catch {
            // gone meanwhile
        }
    }
    return found;
}

// The state letter of a process ('Z': zombie), or null once it is gone.
function processState(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    } catch {
        return null;
    }
}

function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

// ---- the test -------------------------------------------------------------------

const users = opts.users.map((u) => new User(u));
users[0].other = users[1];
users[1].other = users[0];

let deadline = Infinity;
const remaining = () => Math.max(0, deadline - Date.now());
let browser = null;
let server = null;
let workDir = null;

async function main() {
    const n = opts.messages;
    server = await startStaticServer(distDir);
    const pageUrl = `http://127.0.0.1:${server.address().port}/`;
    console.log(`# BOSH ${opts.url} domain=${opts.domain} messages=${n} run=${runId}`);
    console.log(`# Converse.js ${CONVERSE_VERSION} served from ${pageUrl}`);

    // 0. Chromium, headless. --no-sandbox: CI runs as root. No host resolves
    //    but 127.0.0.1, localhost and the BOSH URL's: loopback only.
    workDir = mkdtempSync(join(tmpdir(), 'boshd-converse-'));
    // (The rules apply to IP literals too.)
    const resolverRules = ['MAP * ~NOTFOUND'];
    for (const host of new Set(['127.0.0.1', 'localhost', opts.urlHost])) resolverRules.push(`EXCLUDE ${host}`);
    try {
        browser = await puppeteer.launch({
            executablePath: opts.chromium,
            headless: true,
            userDataDir: join(workDir, 'profile'),
            // Debian's Chromium starts crashpad handlers that keep their
            // database under $XDG_CONFIG_HOME: keep it in workDir too.
            env: { ...process.env, XDG_CONFIG_HOME: join(workDir, 'config') },
            args: ['--no-sandbox', `--host-resolver-rules=${resolverRules.join(', ')}`],
            timeout: Math.min(30000, remaining()),
        });
    } catch (e) {
        check(false, `Chromium started (${opts.chromium})`, e.message);
        return;
    }
    check(true, `Chromium started: ${await browser.version()} (${opts.chromium}) [${elapsed()}]`);

    // 1. Each user in a context of their own: load the page, start Converse,
    //    log in (SASL, stream restart, bind), both at the same time.
    await Promise.all(users.map((u) => u.open(browser, pageUrl)));
    await Promise.all(users.map((u) => u.start()));
    const loginMs = Math.min(remaining(), 30000);
    // Converse retries after a connection failure, not after AUTHFAIL.
    const loggedIn = (t) => t.connected || t.statuses.some(([, s]) => ['AUTHFAIL', 'INITIALIZE-FAILED'].includes(s));
    await Promise.all(users.map((u) => u.waitFor(loggedIn, null, loginMs, 'login')));
    let allIn = true;
    for (const u of users) {
        const info = await u.run((t) => {
            const conn = t.api?.connection.get();
            return {
                connected: t.connected,
                jid: conn?.jid ?? '',
                mech: conn?._sasl_mechanism?.mechname ?? '?',
                ms: t.tConnected === null ? null : Math.round(t.tConnected - t.tInit),
            };
        });
        const good = info.connected && info.jid.split('/')[0] === u.bare && info.jid.includes('/');
        allIn =
            check(
                good,
                good
                    ? `${u.name} logged in as ${info.jid} (SASL ${info.mech}) in ${info.ms} ms [${elapsed()}]`
                    : `${u.name} logged in`,
                good ? '' : `bound JID ${JSON.stringify(info.jid)}; statuses:\n${await u.statusesText()}`,
            ) && allIn;
    }
    if (!allIn) return;

    // 2. Initial presence out (Converse sends it after the roster), then a
    //    ping: once answered, the presence has been processed, so nothing
    //    sent to this user can bounce (Prosody's offline module is off).
    const ready = await Promise.all(
        users.map(async (u) => {
            if (!(await u.waitFor((t) => t.initialPresenceSent, null, Math.min(remaining(), 15000), 'initial presence'))) {
                return 'no initial presence sent';
            }
            const pong = await u.run((t) => t.api.ping(undefined, 10000));
            return pong === true ? '' : `ping answered ${pong}`;
        }),
    );
    let allReady = true;
    users.forEach((u, i) => {
        allReady = check(!ready[i], `${u.name} sent initial presence (ping answered) [${elapsed()}]`, ready[i]) && allReady;
    });
    if (!allReady) return;

    // 3. Neither is in the other's roster: opening the chat makes Converse
    //    consult the blocklist (XEP-0191) before it adds a provisional contact.
    for (const u of users) {
        const inRoster = await u.run(async (t, peer) => {
            await t.api.waitUntil('rosterContactsFetched');
            return !!(await t.api.contacts.get(peer));
        }, u.other.bare);
        check(!inRoster, `${u.other.name} is not in ${u.name}'s roster`, `${u.other.bare} is a roster contact`);
    }
    const openMs = Math.min(15000, Math.max(1000, remaining() - 10000));
    const opened = await Promise.all(
        users.map((u) =>
            u
                .run(
                    async (t, { peer, ms }) => {
                        const start = performance.now();
                        const within = (p, what) =>
                            Promise.race([
                                p,
                                new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
                            ]);
                        const chat = await within(t.api.chats.open(peer, {}, true), 'api.chats.open did not resolve');
                        if (!chat) throw new Error('api.chats.open returned no chat');
                        await within(chat.initialized, 'the chat box was not initialized (blocklist never fetched?)');
                        t.chat = chat;
                        return { ms: Math.round(performance.now() - start) };
                    },
                    { peer: u.other.bare, ms: openMs },
                )
                .catch((e) => ({ error: e.message.split('\n')[0] })),
        ),
    );
    let allOpen = true;
    for (const [i, u] of users.entries()) {
        const r = opened[i];
        let why = r.error;
        if (why) {
            // The usual cause: Converse waits for the blocklist, which it
            // only fetches when the server offers blocking.
            const blocking = await withTimeout(
                u.run((t) => t.api.disco.supports('urn:xmpp:blocking', t._converse.session.get('domain'))),
                5000,
                'disco',
            ).catch((e) => e.message);
            why += `\nthe server offers urn:xmpp:blocking (XEP-0191): ${blocking}`;
        }
        allOpen =
            check(
                !r.error,
                `${u.name} opened a chat with ${u.other.name}${r.error ? '' : ` in ${r.ms} ms`} [${elapsed()}]`,
                why,
            ) && allOpen;
    }
    if (!allOpen) return;

    // 4. Both send n numbered messages through Converse's chat API, at the
    //    same time, one after the other within each chat.
    const sendStart = Date.now();
    const sent = await Promise.all(
        users.map((u) =>
            u
                .run(
                    async (t, bodies) => {
                        const ids = [];
                        for (const body of bodies) {
                            const m = await t.chat.sendMessage({ body });
                            ids.push(m?.get('msgid') ?? null);
                        }
                        return { ids };
                    },
                    Array.from({ length: n }, (_, k) => messageBody(u.name, u.other.name, k + 1, n)),
                )
                .catch((e) => ({ error: e.message.split('\n')[0] })),
        ),
    );
    users.forEach((u, i) => {
        const r = sent[i];
        const ok = !r.error && r.ids.length === n && r.ids.every((id) => id);
        if (ok) u.sentIds = r.ids;
        check(ok, `${u.name} sent ${n} messages with chat.sendMessage() [${Date.now() - sendStart} ms]`, r.error ?? 'a message was not sent');
    });

    // 5. Wait until both have all of them (keeping time for the logout), then
    //    a short grace period to catch duplicates.
    const reserveMs = Math.min(15000, opts.timeoutMs / 4);
    await Promise.all(
        users.map((u) =>
            u.waitFor(
                (t, { peer, n }) => t.received.filter((m) => m.from === peer).length >= n,
                { peer: u.other.bare, n },
                Math.max(1, remaining() - reserveMs),
                'complete delivery',
            ),
        ),
    );
    const deliveryMs = Date.now() - sendStart;
    await sleep(300);

    for (const rx of users) {
        const tx = rx.other;
        const got = await rx.run(
            (t, peer) => ({
                raw: t.received.filter((m) => m.from === peer),
                others: t.received.filter((m) => m.from !== peer).length,
                errors: t.errors,
                model: t.chat.messages
                    .filter((m) => m.get('sender') === 'them')
                    .map((m) => m.get('body') ?? ''),
            }),
            tx.bare,
        );
        // As delivered by the CM: order, once each, bodies and ids intact.
        const [ok, count, problems] = verifyBodies(
            got.raw.map((m) => m.body),
            tx,
            rx,
            n,
        );
        const idProblems = [];
        if (tx.sentIds.length === n) {
            got.raw.forEach((m) => {
                const idx = Number(/^(\d+)\//.exec(m.body)?.[1]);
                if (tx.sentIds[idx - 1] && m.id !== tx.sentIds[idx - 1]) {
                    idProblems.push(`message ${idx} has id ${JSON.stringify(m.id)}, sent as ${tx.sentIds[idx - 1]}`);
                }
            });
        }
        if (got.raw.some((m) => m.type !== 'chat')) idProblems.push('a message is not of type chat');
        if (got.others) idProblems.push(`also ${got.others} message(s) from other senders`);
        check(
            ok && idProblems.length === 0,
            `${rx.name} received ${count} from ${tx.name} in order, exactly once, bodies and ids intact [${deliveryMs} ms]`,
            [problems, ...idProblems.slice(0, 5)].filter(Boolean).join('\n'),
        );
        // What Converse made of them: the chat's message models.
        const [mok, mcount, mproblems] = verifyBodies(got.model, tx, rx, n);
        check(mok, `${rx.name}'s Converse chat holds ${mcount} messages from ${tx.name}, in order, once each`, mproblems);
        check(got.errors.length === 0, `${rx.name} got no error stanzas`, got.errors.slice(0, 5).join('\n'));
    }

    // 6. The UI: the messages are rendered in the open chat view.
    for (const rx of users) {
        const tx = rx.other;
        const domQuery = (t, { peer }) => {
            const view = document.querySelector(`converse-chat[jid="${peer}"]`);
            if (!view) return null;
            return Array.from(view.querySelectorAll('.chat-msg'))
                .filter((el) => (el.getAttribute('data-from') ?? '').split('/')[0] === peer)
                .map((el) => el.querySelector('.chat-msg__text')?.textContent.trim() ?? '');
        };
        await rx.waitFor(
            `(t, a) => ((${domQuery})(t, a) ?? []).length >= a.n`,
            { peer: tx.bare, n },
            Math.min(5000, Math.max(1, remaining() - reserveMs)),
            'rendered messages',
        );
        const texts = await rx.run(domQuery, { peer: tx.bare });
        const [dok, dcount, dproblems] = verifyBodies(texts ?? [], tx, rx, n);
        check(
            texts !== null && dok,
            `${rx.name}'s chat view shows ${dcount} messages from ${tx.name}, in order (DOM)`,
            texts === null ? `no converse-chat element for ${tx.bare}` : dproblems,
        );
    }

    // 7. Log out: Converse's api.user.logout() makes Strophe send
    //    unavailable presence in a body of type='terminate'; the CM must
    //    answer it (Strophe gives up after 3 s and reports CONNTIMEOUT).
    const logoutMs = Math.max(1000, Math.min(15000, remaining() - 1000));
    const loggedOut = await Promise.all(
        users.map((u) =>
            u
                .run(
                    async (t, ms) => {
                        const start = performance.now();
                        await Promise.race([
                            t.api.user.logout(),
                            new Promise((_, reject) => setTimeout(() => reject(new Error(`logout not done within ${ms} ms`)), ms)),
                        ]);
                        return { ms: Math.round(performance.now() - start) };
                    },
                    logoutMs,
                )
                .catch((e) => ({ error: e.message.split('\n')[0] })),
        ),
    );
    for (const [i, u] of users.entries()) {
        // The terminate's answer is read asynchronously: give it a moment.
        for (let k = 0; k < 40 && u.bosh.terminates.some((x) => x.status === null); k++) await sleep(50);
        const r = loggedOut[i];
        const statuses = await u.run((t) => ({ list: t.statuses.map(([, s]) => s), disconnected: t.disconnected }));
        const afterLogout = statuses.list.slice(Math.max(0, statuses.list.lastIndexOf('DISCONNECTING')));
        const bad = afterLogout.filter((s) => ['CONNTIMEOUT', 'CONNFAIL', 'ERROR'].includes(s));
        const term = u.bosh.terminates;
        const problems = [];
        if (r.error) problems.push(r.error);
        if (!statuses.disconnected) problems.push('no disconnected event');
        if (bad.length) problems.push(`statuses after DISCONNECTING: ${afterLogout.join(' ')}`);
        if (term.length === 0) problems.push('no body of type terminate was sent');
        else if (term.some((x) => x.status !== 200)) {
            problems.push(`terminate answered ${term.map((x) => x.status ?? 'never').join(', ')}`);
        }
        check(
            problems.length === 0,
            `${u.name} logged out: terminate answered ${term.map((x) => x.status).join(',') || '-'}, disconnected${r.ms !== undefined ? ` in ${r.ms} ms` : ''} [${elapsed()}]`,
            problems.join('\n'),
        );
        // No BOSH request may get an HTTP error or a broken connection; the
        // client aborting its own pending request on disconnect is fine.
        const non200 = Object.entries(u.bosh.statuses).filter(([s]) => s !== '200');
        const broken = u.bosh.failed.filter((f) => !f.endsWith('net::ERR_ABORTED'));
        const aborted = u.bosh.failed.length - broken.length;
        check(
            non200.length === 0 && broken.length === 0,
            `${u.name}'s ${u.bosh.posts} BOSH requests were answered 200${aborted ? ` (${aborted} aborted by the client at logout)` : ''}`,
            [...non200.map(([s, c]) => `${c} answered with status ${s}`), ...broken.slice(0, 5)].join('\n'),
        );
    }
}

// After an early stop, log out whoever is still logged in (best effort, not
// a check), so that no session is left behind on the connection manager.
async function cleanup(ms = 5000) {
    await Promise.allSettled(
        users
            .filter((u) => u.page && !u.page.isClosed())
            .map((u) =>
                withTimeout(
                    u.run(async (t) => {
                        if (t?.connected && !t.disconnected && t.api.connection.connected()) {
                            await t.api.user.logout();
                            return true;
                        }
                        return false;
                    }),
                    ms,
                    `${u.name} cleanup logout`,
                ).then((did) => did && trace(`cleanup: logged out ${u.name}`)),
            ),
    );
}

// Closes the browser and checks that all of Chromium's processes are gone
// (killing leftovers), stops the static server and removes workDir.
let teardownDone = null;
function teardown() {
    teardownDone ??= (async () => {
        if (browser) {
            const pids = processesWith(workDir);
            const closeStart = Date.now();
            try {
                await withTimeout(browser.close(), 10000, 'browser.close()');
            } catch (e) {
                trace(`${e.message}; killing Chromium`);
                browser.process()?.kill('SIGKILL');
            }
            // The browser's children are reparented to init when it exits:
            // wait (bounded) until they are gone, not even zombies.
            let alive = [];
            let zombies = [];
            for (let k = 0; k < 100; k++) {
                const now = [...new Set([...pids, ...processesWith(workDir)])];
                alive = now.filter((pid) => ![null, 'Z'].includes(processState(pid)));
                zombies = now.filter((pid) => processState(pid) === 'Z');
                if (alive.length === 0 && zombies.length === 0) break;
                await sleep(50);
            }
            for (const pid of alive) {
                try {
                    process.kill(pid, 'SIGKILL');
                } catch {
                    // already gone
                }
            }
            report.check(
                alive.length === 0,
                `Chromium closed, none of its ${pids.length} processes left [${Date.now() - closeStart} ms]`,
                `still running after 5 s (killed): ${alive.join(' ')}`,
            );
            if (zombies.length) console.log(`# ${zombies.length} exited Chromium process(es) not yet reaped by their parent: ${zombies.join(' ')}`);
        }
        if (server) {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
        }
        if (workDir) rmSync(workDir, { recursive: true, force: true });
    })();
    return teardownDone;
}

async function printDiagnostics() {
    for (const u of users) {
        if (u.console.length) {
            console.log(`# ${u.name}'s page: last console errors and warnings (--verbose for all):`);
            for (const line of u.console.slice(-25)) console.log(`#   ${line}`);
        }
    }
    if (diag.length) {
        console.log(`# last ${Math.min(diag.length, 40)} trace lines:`);
        for (const line of diag.slice(-40)) console.log(`#   ${line}`);
    }
}

// If the process ends another way (say, an exception in an event handler),
// puppeteer kills Chromium on exit; remove the profile directory as well.
process.on('exit', () => {
    try {
        if (workDir) rmSync(workDir, { recursive: true, force: true });
    } catch {
        // best effort
    }
});

let finished = false;
async function finish() {
    if (finished) return;
    finished = true;
    report.summary();
    if (report.failed) await printDiagnostics();
    process.exit(report.failed ? 1 : 0);
}

// The Converse bundle first (downloaded on the first run only; not part of
// --timeout), then everything else is bounded by --timeout.
let distDir;
try {
    distDir = await ensureConverse({ log: (line) => console.log(`# ${line}`) });
} catch (e) {
    check(false, `Converse.js ${CONVERSE_VERSION} fetched and verified`, e.message);
    await finish();
}
t0 = Date.now();
deadline = t0 + opts.timeoutMs;
const overall = setTimeout(() => {
    check(false, `finished within --timeout ${opts.timeoutMs / 1000}s`, 'the run was cut off by the overall timeout');
    timedOut = true;
    cleanup(3000)
        .then(teardown)
        .catch((e) => report.check(false, 'browser and server closed', e.message))
        .finally(finish);
}, opts.timeoutMs);

main()
    .catch((e) => {
        if (!timedOut) check(false, 'test ran without an exception', e.stack ?? String(e));
    })
    .then(() => (timedOut ? null : cleanup()))
    .catch(() => {})
    .then(() => (timedOut ? null : teardown()))
    .catch((e) => check(false, 'browser and server closed', e.message))
    .finally(() => {
        if (timedOut) return; // the overall timeout finishes
        clearTimeout(overall);
        finish();
    });
