#!/usr/bin/env node
// End-to-end BOSH chat check: two Strophe.js clients log in through a BOSH
// connection manager (boshd, or Prosody's own mod_bosh as a reference),
// exchange numbered messages in both directions at the same time, verify
// that each side got exactly the other's messages, in order, once each, and
// log out cleanly.
//
//   node tests/e2e/chat.mjs --url http://127.0.0.1:PORT/http-bind \
//       --domain localhost --messages 50 [--user1 alice --pass1 alice-pw \
//       --user2 bob --pass2 bob-pw] [--timeout 60] [--interval 10] [--verbose]
//       [--expect-features urn:xmpp:blocking,urn:xmpp:carbons:2,urn:xmpp:sm:3]
//
// --expect-features: namespaces the server must offer, each found either in
// the server's disco#info features (XEP-0030) or among the stream features
// after login (stream management, XEP-0198, is only there).
//
// Output: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, N failed". Exit code 0 only when every check passed.
// See README.md beside this file.

import { randomBytes } from 'node:crypto';
import { JSDOM } from 'jsdom';
import { Strophe, $msg, $pres, $iq } from 'strophe.js';
import * as lib from './lib.mjs';
import { COMMON_OPTIONS, parseCommandLine, Report, usersOf } from './lib.mjs';

// ---- command line ---------------------------------------------------------

const USAGE = `usage: node chat.mjs --url URL --domain DOMAIN [--messages N]
       [--user1 U --pass1 P --user2 U --pass2 P] [--timeout SECONDS]
       [--interval MS] [--expect-features NS,NS,...] [--verbose]`;

function parseCli() {
    const { values, url, num } = parseCommandLine(USAGE, {
        ...COMMON_OPTIONS,
        messages: { type: 'string', default: '50' },
        // Pause between two messages of one sender. Small but non-zero
        // so that sends spread over many BOSH requests (each one must
        // release the held request); 0 sends everything in one go.
        interval: { type: 'string', default: '10' },
        'expect-features': { type: 'string', default: '' },
        verbose: { type: 'boolean', default: false },
    });
    return {
        url: url.href,
        origin: url.origin,
        domain: values.domain,
        messages: Math.floor(num('messages', 1)),
        timeoutMs: num('timeout', 1) * 1000,
        intervalMs: num('interval', 0),
        expectFeatures: values['expect-features'].split(',').filter((f) => f !== ''),
        verbose: values.verbose,
        users: usersOf(values),
    };
}

const opts = parseCli();
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(3)}s`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- diagnostics ------------------------------------------------------------

// Strophe logs through console.*; keep its messages (and our own traces) in a
// buffer that is printed only when something fails (always with --verbose).
const diag = [];
const DIAG_MAX = 400;
function trace(line) {
    const entry = `[${elapsed()}] ${line}`;
    diag.push(entry);
    if (diag.length > DIAG_MAX) diag.shift();
    if (opts.verbose) process.stderr.write(`# ${entry}\n`);
}
for (const level of ['debug', 'info', 'warn', 'error']) {
    console[level] = (...args) => trace(`strophe ${level}: ${args.join(' ')}`);
}
Strophe.setLogLevel(opts.verbose ? Strophe.LogLevel.DEBUG : Strophe.LogLevel.WARN);

// Strophe in Node has a DOM (xmldom) but no XMLHttpRequest, and it needs
// responseXML. jsdom's XMLHttpRequest provides both; with the window's origin
// equal to the BOSH URL's origin the requests are same-origin (no CORS).
const dom = new JSDOM('', { url: `${opts.origin}/` });
globalThis.XMLHttpRequest = dom.window.XMLHttpRequest;

const STATUS_NAMES = Object.fromEntries(Object.entries(Strophe.Status).map(([k, v]) => [v, k]));

// ---- checks -------------------------------------------------------------------

const report = new Report();
const check = (ok, description, details) => report.check(ok, description, details);

// ---- one XMPP client over BOSH --------------------------------------------

class Client {
    constructor({ name, pass }) {
        this.name = name;
        this.pass = pass;
        this.bare = `${name}@${opts.domain}`;
        this.conn = new Strophe.Connection(opts.url);
        this.transitions = []; // [time, STATUS, condition]
        this.statusWaiters = [];
        this.received = []; // { from, id, body } of chat messages, arrival order
        this.errors = []; // error stanzas received
        this.other = null; // peer Client, set by the caller

        if (opts.verbose) {
            this.conn.rawInput = (data) => trace(`${name} <- ${data}`);
            this.conn.rawOutput = (data) => trace(`${name} -> ${data}`);
        }
    }

    onStatus(status, condition) {
        const statusName = STATUS_NAMES[status] ?? String(status);
        this.transitions.push([elapsed(), statusName, condition ?? '']);
        trace(`${this.name} status ${statusName}${condition ? ` (${condition})` : ''}`);
        if (status === Strophe.Status.CONNECTED) this.installHandlers();
        for (const waiter of [...this.statusWaiters]) waiter(statusName, condition);
    }

    // Resolve when the connection reaches status `want`; reject when it
    // reaches one of `failOn` first, or after `ms`.
    waitStatus(want, failOn, ms) {
        return new Promise((resolve, reject) => {
            const done = (fn, arg) => {
                clearTimeout(timer);
                this.statusWaiters = this.statusWaiters.filter((w) => w !== waiter);
                fn(arg);
            };
            const waiter = (statusName, condition) => {
                if (statusName === want) done(resolve, statusName);
                else if (failOn.includes(statusName)) {
                    done(reject, new Error(`status ${statusName}${condition ? ` (${condition})` : ''}`));
                }
            };
            const timer = setTimeout(() => done(reject, new Error(`no ${want} within ${ms} ms`)), ms);
            this.statusWaiters.push(waiter);
        });
    }

    login(ms) {
        const result = this.waitStatus(
            'CONNECTED',
            ['CONNFAIL', 'AUTHFAIL', 'ERROR', 'DISCONNECTED', 'CONNTIMEOUT', 'BINDREQUIRED'],
            ms,
        );
        this.conn.connect(`${this.bare}/e2e-${runId}`, this.pass, (s, c) => this.onStatus(s, c));
        return result;
    }

    installHandlers() {
        this.conn.addHandler(
            (stanza) => {
                this.onMessage(stanza);
                return true; // keep the handler
            },
            null,
            'message',
        );
    }

    onMessage(stanza) {
        const type = stanza.getAttribute('type');
        const from = stanza.getAttribute('from') ?? '';
        const id = stanza.getAttribute('id') ?? '';
        if (type === 'error') {
            this.errors.push(`message error from ${from} id=${id}: ${Strophe.serialize(stanza)}`);
            return;
        }
        const bodyEl = stanza.getElementsByTagName('body')[0];
        if (!bodyEl) return; // chat states and the like
        // Not Strophe.getText(): that returns the text XML-escaped.
        this.received.push({ from: Strophe.getBareJidFromJid(from), id, body: bodyEl.textContent });
        if (this.received.length % 10 === 0) trace(`${this.name} has ${this.received.length} messages`);
    }

    // The namespaces the server offers: its disco#info features and the
    // stream features of the logged-in stream.
    serverFeatures(ms) {
        return new Promise((resolve, reject) => {
            this.conn.sendIQ(
                $iq({ type: 'get', to: opts.domain }).c('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
                (iq) => {
                    const found = new Set();
                    for (const f of iq.getElementsByTagName('feature')) found.add(f.getAttribute('var'));
                    for (const el of Array.from(this.conn.features?.children ?? [])) {
                        found.add(el.namespaceURI ?? el.getAttribute('xmlns'));
                    }
                    resolve(found);
                },
                (err) => reject(new Error(err ? `disco#info failed: ${Strophe.serialize(err)}` : 'disco#info timed out')),
                ms,
            );
        });
    }

    // Send a ping to the server and wait for the reply. The server handles a
    // session's stanzas in order, so once the pong is in, the presence sent
    // before it has been processed (the user is "available" for messages).
    ping(ms) {
        return new Promise((resolve, reject) => {
            this.conn.sendIQ(
                $iq({ type: 'get', to: opts.domain }).c('ping', { xmlns: 'urn:xmpp:ping' }),
                () => resolve(),
                (err) => reject(new Error(err ? `ping failed: ${Strophe.serialize(err)}` : `ping timed out`)),
                ms,
            );
        });
    }

    async sendAll(n, intervalMs) {
        for (let i = 1; i <= n; i++) {
            this.conn.send(
                $msg({ to: this.other.bare, type: 'chat', id: messageId(this.name, i) })
                    .c('body')
                    .t(messageBody(this.name, this.other.name, i, n)),
            );
            if (intervalMs > 0) await sleep(intervalMs);
        }
        // Without an interval the stanzas sit in Strophe's queue until its next
        // idle tick; flush so that all of them leave right away.
        this.conn.flush();
    }

    logout(ms) {
        const result = this.waitStatus('DISCONNECTED', [], ms);
        this.conn.disconnect('e2e test done');
        return result;
    }

    transitionsText() {
        return this.transitions.map(([t, s, c]) => `${this.name} ${t} ${s}${c ? ` (${c})` : ''}`).join('\n');
    }
}

// A random run id keeps bodies of this run apart from anything else.
const runId = randomBytes(4).toString('hex');
const messageId = (from, i) => `${from}-${runId}-${i}`;
const messageBody = (from, to, i, n) => lib.messageBody(runId, from, to, i, n);

// Verify what `rx` received from `tx`: exactly n messages, in order, once each,
// bodies and ids intact. Returns [ok, "k/n", details].
function verifyReceived(rx, tx, n) {
    const fromPeer = rx.received.filter((m) => m.from === tx.bare);
    const others = rx.received.length - fromPeer.length;
    const r = lib.checkSequence(
        fromPeer,
        n,
        (i) => messageBody(tx.name, rx.name, i, n),
        (i) => messageId(tx.name, i),
    );
    if (others) r.problems.push(`also ${others} message(s) from other senders`);
    if (r.problems.length && r.order.length) r.problems.push(`arrival order: ${r.order.join(',')}`);
    return [r.problems.length === 0, r.count, r.problems.join('\n')];
}

// ---- the test ---------------------------------------------------------------

const [a, b] = opts.users.map((u) => new Client(u));
a.other = b;
b.other = a;
const clients = [a, b];

function printDiagnostics() {
    console.log('# Strophe status transitions:');
    for (const c of clients) for (const line of c.transitionsText().split('\n')) if (line) console.log(`#   ${line}`);
    if (!opts.verbose && diag.length) {
        console.log(`# last ${Math.min(diag.length, 60)} diagnostic lines (--verbose for all):`);
        for (const line of diag.slice(-60)) console.log(`#   ${line}`);
    }
}

function finish() {
    report.summary();
    if (report.failed) printDiagnostics();
    // jsdom keeps sockets alive; do not wait for them.
    process.exit(report.failed ? 1 : 0);
}

// Everything is bounded by --timeout.
const deadline = t0 + opts.timeoutMs;
const remaining = () => Math.max(0, deadline - Date.now());
const overall = setTimeout(() => {
    check(false, `finished within --timeout ${opts.timeoutMs / 1000}s`, 'the run was cut off by the overall timeout');
    finish();
}, opts.timeoutMs);

async function main() {
    console.log(`# BOSH ${opts.url} domain=${opts.domain} messages=${opts.messages} run=${runId}`);

    // 1. Log in both users at the same time (SASL, stream restart, bind).
    const logins = await Promise.allSettled(clients.map((c) => c.login(remaining())));
    let allIn = true;
    logins.forEach((r, i) => {
        const c = clients[i];
        const mech = c.conn._sasl_mechanism?.mechname ?? '?';
        const jid = c.conn.jid ?? '';
        const good =
            r.status === 'fulfilled' && Strophe.getBareJidFromJid(jid) === c.bare && !!Strophe.getResourceFromJid(jid);
        const ok = check(
            good,
            good ? `${c.name} logged in as ${jid} (SASL ${mech}) [${elapsed()}]` : `${c.name} logged in`,
            r.status === 'rejected' ? r.reason.message : `bound JID is ${jid}`,
        );
        allIn = allIn && ok;
    });
    if (!allIn) return;

    // 1b. What the server offers to clients like Converse.js (--expect-features).
    if (opts.expectFeatures.length > 0) {
        let found;
        try {
            found = await clients[0].serverFeatures(Math.min(remaining(), 15000));
        } catch (e) {
            check(false, 'the server answered disco#info', e.message);
            return;
        }
        for (const ns of opts.expectFeatures) {
            check(found.has(ns), `the server offers ${ns}`, `offered: ${[...found].sort().join(' ')}`);
        }
    }

    // 2. Initial presence, then a ping round trip so the presence is known to
    //    have been processed before anyone sends to this user.
    const pres = await Promise.allSettled(
        clients.map((c) => {
            c.conn.send($pres());
            return c.ping(Math.min(remaining(), 15000));
        }),
    );
    let allAvailable = true;
    pres.forEach((r, i) => {
        const ok = check(
            r.status === 'fulfilled',
            `${clients[i].name} sent initial presence (ping answered) [${elapsed()}]`,
            r.reason?.message,
        );
        allAvailable = allAvailable && ok;
    });
    if (!allAvailable) return;

    // 3. Both send N numbered messages to the other, concurrently.
    const n = opts.messages;
    const sendStart = Date.now();
    await Promise.all(clients.map((c) => c.sendAll(n, opts.intervalMs)));
    trace(`all ${2 * n} messages queued in ${Date.now() - sendStart} ms`);

    // 4. Wait until both have all of them (or time runs out, keeping some
    //    time for the logout), then a short grace period to catch duplicates.
    const reserveMs = Math.min(8000, opts.timeoutMs / 4);
    const complete = () => clients.every((c) => c.received.filter((m) => m.from === c.other.bare).length >= n);
    while (!complete() && remaining() > reserveMs) await sleep(20);
    const deliveryMs = Date.now() - sendStart;
    await sleep(Math.min(300, Math.max(0, remaining() - reserveMs)));

    for (const rx of clients) {
        const [ok, count, details] = verifyReceived(rx, rx.other, n);
        check(
            ok,
            `${rx.name} received ${count} from ${rx.other.name} in order, exactly once, bodies intact [${deliveryMs} ms]`,
            details,
        );
    }
    for (const c of clients) {
        check(c.errors.length === 0, `${c.name} got no error stanzas`, c.errors.slice(0, 5).join('\n'));
    }

    // 5. Clean logout: Strophe sends unavailable presence with a terminate
    //    body; a clean end is DISCONNECTED without CONNTIMEOUT/CONNFAIL.
    const logouts = await Promise.allSettled(clients.map((c) => c.logout(Math.max(1000, remaining() - 200))));
    logouts.forEach((r, i) => {
        const c = clients[i];
        const after = c.transitions.slice(c.transitions.findIndex(([, s]) => s === 'DISCONNECTING'));
        const bad = after.filter(([, s]) => ['CONNTIMEOUT', 'CONNFAIL', 'ERROR'].includes(s));
        check(
            r.status === 'fulfilled' && bad.length === 0,
            `${c.name} disconnected cleanly (DISCONNECTED) [${elapsed()}]`,
            r.status === 'rejected' ? r.reason.message : `saw ${bad.map(([, s, cond]) => s + (cond ? `(${cond})` : '')).join(', ')}`,
        );
    });
}

// After an early stop, log out whoever is still logged in (best effort, not
// a check), so that no session is left behind on the connection manager.
async function cleanup() {
    const open = clients.filter((c) => c.conn.connected && !c.conn.disconnecting);
    if (!open.length) return;
    trace(`cleanup: logging out ${open.map((c) => c.name).join(', ')}`);
    await Promise.allSettled(open.map((c) => c.logout(Math.min(3000, remaining()))));
}

main()
    .catch((e) => check(false, 'test ran without an exception', e.stack ?? String(e)))
    .then(cleanup)
    .catch(() => {})
    .finally(() => {
        clearTimeout(overall);
        finish();
    });
