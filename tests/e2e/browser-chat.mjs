#!/usr/bin/env node
// The Strophe.js chat of chat.mjs in a real browser: headless Chromium,
// driven by playwright-core, loads a page from a small static server on
// another loopback port (so every BOSH request is cross-origin, with CORS
// preflights, as on a real site), and the page's Strophe.js (the package's
// own browser build, served from node_modules) logs alice and bob in, each in
// a browser context of its own, exchanges numbered messages both ways and
// logs out. Made for HTTPS BOSH URLs (a TLS-terminating proxy, or boshd's
// own HTTPS) but works over http:// too.
//
//   node tests/e2e/browser-chat.mjs --url https://127.0.0.1:PORT/http-bind \
//       --domain localhost [--messages 20] [--timeout 60]
//       [--user1 U --pass1 P --user2 U --pass2 P] [--chromium PATH] [--verbose]
//
// Chromium validates the server's certificate: a test CA must be trusted the
// way Chromium on Linux trusts one, in the NSS database $HOME/.pki/nssdb
// (tests/proxies/run.sh makes one). What Chromium did on the network comes
// from the DevTools protocol (Network domain): each BOSH request's
// connection id, protocol, status and TLS details, and the preflights.
//
// Output: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, N failed". Exit code 0 only when every check passed.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as lib from './lib.mjs';
import { COMMON_OPTIONS, parseCommandLine, Report, usersOf } from './lib.mjs';

const USAGE = `usage: node browser-chat.mjs --url URL --domain DOMAIN [--messages N]
       [--user1 U --pass1 P --user2 U --pass2 P] [--timeout SECONDS]
       [--chromium PATH] [--verbose]

  --chromium   the Chromium binary (default: $CHROMIUM, else /usr/bin/chromium)
  --verbose    copy the pages' console to stderr as it happens`;

const { values, url: boshUrl, num } = parseCommandLine(USAGE, {
    ...COMMON_OPTIONS,
    messages: { type: 'string', default: '20' },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    verbose: { type: 'boolean', default: false },
});
const opts = {
    url: boshUrl.href,
    domain: values.domain,
    messages: Math.floor(num('messages', 1)),
    timeoutMs: num('timeout', 1) * 1000,
    chromium: values.chromium,
    verbose: values.verbose,
    users: usersOf(values),
};

const HERE = dirname(fileURLToPath(import.meta.url));
const STROPHE = join(HERE, 'node_modules', 'strophe.js', 'dist', 'strophe.umd.min.js');
const runId = randomBytes(4).toString('hex');
const report = new Report();
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(3)}s`;
const deadline = t0 + opts.timeoutMs;
const remaining = () => Math.max(0, deadline - Date.now());
let timedOut = false;
// After the overall timeout cut the run off, what is still going on fails
// as the browser goes away: it is only traced.
function check(ok, description, details) {
    if (timedOut) return false;
    return report.check(ok, description, details);
}

const diag = [];
function trace(line) {
    const entry = `[${elapsed()}] ${line}`;
    diag.push(entry.length > 400 ? `${entry.slice(0, 400)}...` : entry);
    if (diag.length > 300) diag.shift();
    if (opts.verbose) process.stderr.write(`# ${entry}\n`);
}

// ---- the page and its server --------------------------------------------------

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>boshd browser chat</title>
<script src="/strophe.js"></script></head><body></body></html>
`;

// Serves / and /strophe.js on 127.0.0.1:0: another origin than the BOSH URL.
function startStaticServer() {
    const strophe = readFileSync(STROPHE);
    const server = createServer((req, res) => {
        if (req.method !== 'GET') return res.writeHead(405).end();
        if (req.url === '/favicon.ico') return res.writeHead(204).end();
        if (req.url === '/') {
            return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(INDEX_HTML);
        }
        if (req.url === '/strophe.js') {
            return res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(strophe);
        }
        res.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

// ---- what runs in the page ------------------------------------------------------

// Installs window.chat: one Strophe connection to |url| and what the test
// reads of it. Runs in the page.
function installChat({ url, jid, pass }) {
    // The browser build sets Strophe, $msg, $iq and $pres as globals.
    const { Strophe, $pres, $iq, $msg } = window;
    const names = Object.fromEntries(Object.entries(Strophe.Status).map(([k, v]) => [v, k]));
    const chat = { statuses: [], received: [], errors: [], jid: '', mech: '' };
    window.chat = chat;
    const conn = new Strophe.Connection(url);
    chat.conn = conn;
    chat.status = () => chat.statuses.at(-1)?.[0] ?? '';
    chat.connect = () =>
        new Promise((resolve) => {
            conn.connect(jid, pass, (status, condition) => {
                chat.statuses.push([names[status] ?? String(status), condition ?? '']);
                if (status === Strophe.Status.CONNECTED) {
                    chat.jid = conn.jid;
                    chat.mech = conn._sasl_mechanism?.mechname ?? '?';
                    conn.addHandler(
                        (st) => {
                            const from = Strophe.getBareJidFromJid(st.getAttribute('from') ?? '');
                            if (st.getAttribute('type') === 'error') {
                                chat.errors.push(Strophe.serialize(st).slice(0, 300));
                                return true;
                            }
                            const body = st.getElementsByTagName('body')[0];
                            if (body) chat.received.push({ from, id: st.getAttribute('id') ?? '', body: body.textContent });
                            return true;
                        },
                        null,
                        'message',
                    );
                }
                if (['CONNECTED', 'CONNFAIL', 'AUTHFAIL', 'ERROR', 'DISCONNECTED', 'CONNTIMEOUT'].includes(names[status])) {
                    resolve(names[status]);
                }
            });
        });
    // Initial presence, then a ping: its answer proves the presence was processed.
    chat.available = (domain) =>
        new Promise((resolve) => {
            conn.send($pres());
            conn.sendIQ(
                $iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' }),
                () => resolve(''),
                (e) => resolve(e ? Strophe.serialize(e) : 'ping timed out'),
                10000,
            );
        });
    chat.sendAll = async (to, items) => {
        for (const { id, body } of items) {
            conn.send($msg({ to, type: 'chat', id }).c('body').t(body));
            await new Promise((r) => setTimeout(r, 10));
        }
        conn.flush();
    };
    chat.logout = () =>
        new Promise((resolve) => {
            const done = () => resolve(chat.status());
            const timer = setInterval(() => {
                if (['DISCONNECTED', 'CONNTIMEOUT', 'CONNFAIL'].includes(chat.status())) {
                    clearInterval(timer);
                    done();
                }
            }, 20);
            conn.disconnect('browser chat done');
        });
}

// ---- one user: a browser context, its page and what its network did ----------------

class User {
    constructor({ name, pass }) {
        this.name = name;
        this.pass = pass;
        this.bare = `${name}@${opts.domain}`;
        this.requests = new Map(); // DevTools requestId -> what we know of it
    }

    async open(browser, pageUrl) {
        this.context = await browser.newContext();
        this.page = await this.context.newPage();
        this.page.setDefaultTimeout(Math.max(1000, remaining()));
        this.page.on('console', (m) => {
            if (['error', 'warning'].includes(m.type()) || opts.verbose) trace(`${this.name} console.${m.type()}: ${m.text()}`);
        });
        this.page.on('pageerror', (e) => trace(`${this.name} pageerror: ${e.message}`));
        // The network as Chromium saw it, preflights included (Playwright's
        // own request events leave those out).
        const cdp = await this.context.newCDPSession(this.page);
        cdp.on('Network.requestWillBeSent', (e) => {
            if (e.request.url !== opts.url) return;
            this.requests.set(e.requestId, { method: e.request.method, type: e.type, status: null, failed: '' });
        });
        cdp.on('Network.responseReceived', (e) => {
            const r = this.requests.get(e.requestId);
            if (!r) return;
            r.status = e.response.status;
            r.connection = e.response.connectionId;
            r.reused = e.response.connectionReused;
            r.protocol = e.response.protocol;
            r.acao = e.response.headers['access-control-allow-origin'] ?? e.response.headers['Access-Control-Allow-Origin'];
            r.tls = e.response.securityDetails;
        });
        cdp.on('Network.loadingFailed', (e) => {
            const r = this.requests.get(e.requestId);
            if (r) r.failed = `${e.errorText}${e.canceled ? ' (canceled)' : ''}`;
        });
        await cdp.send('Network.enable');
        await this.page.goto(pageUrl, { waitUntil: 'load' });
        await this.page.evaluate(installChat, { url: opts.url, jid: `${this.bare}/browser-${runId}`, pass: this.pass });
    }

    run(fn, arg) {
        return this.page.evaluate(fn, arg);
    }

    posts() {
        return [...this.requests.values()].filter((r) => r.method === 'POST');
    }
    preflights() {
        return [...this.requests.values()].filter((r) => r.method === 'OPTIONS' || r.type === 'Preflight');
    }
}

// ---- Chromium's processes ---------------------------------------------------------

// Live processes whose environment names |marker|: Chromium's every process
// inherits XDG_CONFIG_HOME, which points into this run's private directory.
function processesWith(marker) {
    const found = [];
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(marker)) found.push(Number(name));
        } catch {
            // gone meanwhile
        }
    }
    return found;
}

// ---- the test ---------------------------------------------------------------------

const users = opts.users.map((u) => new User(u));
users[0].other = users[1];
users[1].other = users[0];
const messageBody = (from, to, i, n) => lib.messageBody(runId, from, to, i, n);
const messageId = (from, i) => `${from}-${runId}-${i}`;

async function main(browserBox, workDir) {
    const n = opts.messages;
    const server = await startStaticServer();
    browserBox.server = server;
    const pageUrl = `http://127.0.0.1:${server.address().port}/`;
    const pageOrigin = new URL(pageUrl).origin;
    console.log(`# BOSH ${opts.url} from a page on ${pageOrigin} messages=${n} run=${runId}`);

    // 0. Chromium, headless; --no-sandbox: CI runs as root. No host
    //    resolves but loopback's and the BOSH URL's.
    const rules = ['MAP * ~NOTFOUND'];
    for (const host of new Set(['127.0.0.1', 'localhost', boshUrl.hostname])) rules.push(`EXCLUDE ${host}`);
    try {
        browserBox.browser = await chromium.launch({
            executablePath: opts.chromium,
            headless: true,
            args: ['--no-sandbox', `--host-resolver-rules=${rules.join(', ')}`],
            env: { ...process.env, XDG_CONFIG_HOME: join(workDir, 'config') },
            timeout: Math.min(30000, remaining()),
        });
    } catch (e) {
        check(false, `Chromium started (${opts.chromium})`, e.message);
        return;
    }
    const browser = browserBox.browser;
    check(true, `Chromium ${browser.version()} started (${opts.chromium}) [${elapsed()}]`);

    // 1. Both log in at the same time.
    await Promise.all(users.map((u) => u.open(browser, pageUrl)));
    const logins = await Promise.all(users.map((u) => u.run(() => window.chat.connect())));
    let allIn = true;
    for (const [i, u] of users.entries()) {
        const info = await u.run(() => ({ jid: window.chat.jid, mech: window.chat.mech, statuses: window.chat.statuses }));
        const good = logins[i] === 'CONNECTED' && info.jid.split('/')[0] === u.bare;
        allIn =
            check(
                good,
                good ? `${u.name} logged in as ${info.jid} (SASL ${info.mech}) [${elapsed()}]` : `${u.name} logged in`,
                `statuses: ${JSON.stringify(info.statuses)}`,
            ) && allIn;
    }
    if (!allIn) return;

    // 2. Presence, processed.
    const avail = await Promise.all(users.map((u) => u.run((d) => window.chat.available(d), opts.domain)));
    users.forEach((u, i) => check(!avail[i], `${u.name} sent initial presence (ping answered) [${elapsed()}]`, avail[i]));
    if (avail.some((a) => a)) return;

    // 3. n numbered messages each way, at the same time.
    const sendStart = Date.now();
    await Promise.all(
        users.map((u) =>
            u.run(({ to, items }) => window.chat.sendAll(to, items), {
                to: u.other.bare,
                items: Array.from({ length: n }, (_, k) => ({
                    id: messageId(u.name, k + 1),
                    body: messageBody(u.name, u.other.name, k + 1, n),
                })),
            }),
        ),
    );
    const count = (u) => u.run((peer) => window.chat.received.filter((m) => m.from === peer).length, u.other.bare);
    while (remaining() > 8000 && (await Promise.all(users.map(count))).some((c) => c < n)) {
        await new Promise((r) => setTimeout(r, 50));
    }
    const deliveryMs = Date.now() - sendStart;
    await new Promise((r) => setTimeout(r, 300)); // duplicates would show up now
    for (const u of users) {
        const got = await u.run(() => ({ received: window.chat.received, errors: window.chat.errors }));
        const fromPeer = got.received.filter((m) => m.from === u.other.bare);
        const r = lib.checkSequence(
            fromPeer,
            n,
            (i) => messageBody(u.other.name, u.name, i, n),
            (i) => messageId(u.other.name, i),
        );
        check(r.ok, `${u.name} received ${r.count} from ${u.other.name} in order, exactly once, bodies intact [${deliveryMs} ms]`, r.problems.join('\n'));
        check(got.errors.length === 0, `${u.name} got no error stanzas`, got.errors.join('\n'));
    }

    // 4. Log out.
    const outs = await Promise.all(users.map((u) => u.run(() => window.chat.logout())));
    users.forEach((u, i) => check(outs[i] === 'DISCONNECTED', `${u.name} logged out (${outs[i]}) [${elapsed()}]`));

    // 5. What the network did, per user: CORS, TLS, connections.
    for (const u of users) {
        const posts = u.posts();
        const answered = posts.filter((r) => r.status !== null);
        const failed = posts.filter((r) => r.failed && !/canceled/.test(r.failed));
        const bad = answered.filter((r) => r.status !== 200);
        check(
            posts.length > 0 && failed.length === 0 && bad.length === 0,
            `${u.name}'s ${posts.length} BOSH requests were all answered 200`,
            [...failed.map((r) => `failed: ${r.failed}`), ...bad.map((r) => `status ${r.status}`)].join('\n'),
        );
        const pre = u.preflights();
        const preOk = pre.filter((r) => r.status >= 200 && r.status < 300);
        const acao = answered.filter((r) => r.acao === pageOrigin || r.acao === '*');
        check(
            preOk.length > 0 && acao.length === answered.length && answered.length > 0,
            `${u.name}: cross-origin from ${pageOrigin}: ${preOk.length} CORS preflight(s) answered 2xx, every reply allowed the origin (${acao[0]?.acao ?? 'none'})`,
            `preflights: ${JSON.stringify(pre)}\nreplies with Access-Control-Allow-Origin: ${acao.length}/${answered.length}`,
        );
        if (boshUrl.protocol === 'https:') {
            const tls = answered.find((r) => r.tls)?.tls;
            check(
                !!tls && answered.every((r) => r.tls),
                `${u.name}: every reply came over ${tls?.protocol ?? 'TLS'}, certificate of ${tls?.subjectName ?? '?'} issued by "${tls?.issuer ?? '?'}" validated`,
                JSON.stringify(tls ?? null),
            );
        }
        const conns = new Set(answered.map((r) => r.connection));
        const protocols = [...new Set(answered.map((r) => r.protocol))].join(',');
        // HTTP/1.1 needs two connections (one holds the request, the other
        // sends); HTTP/2 one. A connection per request would be far more.
        check(
            conns.size >= 1 && conns.size <= 3 && answered.length >= 3 * conns.size,
            `${u.name}: ${answered.length} BOSH requests over ${conns.size} connection(s) (${protocols}): kept alive`,
            `connection ids: ${[...conns].join(', ')}`,
        );
    }
}

const work = mkdtempSync(join(tmpdir(), 'boshd-browser-'));
const box = { browser: null, server: null };
const overall = setTimeout(() => {
    check(false, `finished within --timeout ${opts.timeoutMs / 1000}s`);
    timedOut = true;
    finish();
}, opts.timeoutMs);

let finishing = false;
async function finish() {
    if (finishing) return;
    finishing = true;
    clearTimeout(overall);
    if (box.browser) {
        await Promise.race([box.browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
        const left = processesWith(`XDG_CONFIG_HOME=${join(work, 'config')}`);
        for (const pid of left) {
            try {
                process.kill(pid, 'SIGKILL');
            } catch {
                // gone meanwhile
            }
        }
        if (!timedOut) check(left.length === 0, 'Chromium closed, none of its processes left', `killed: ${left.join(' ')}`);
    }
    box.server?.close();
    rmSync(work, { recursive: true, force: true });
    report.summary();
    if (report.failed && diag.length) {
        console.log(`# last ${Math.min(diag.length, 40)} trace lines:`);
        for (const line of diag.slice(-40)) console.log(`#   ${line}`);
    }
    process.exit(report.failed ? 1 : 0);
}

main(box, work)
    .catch((e) => check(false, 'the browser chat ran to its end', e.stack ?? String(e)))
    .finally(finish);
