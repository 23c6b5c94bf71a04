#!/usr/bin/env node
// End-to-end BOSH chat with StanzaJS (npm `stanza`, the second most used
// JavaScript XMPP library): two clients log in through a BOSH connection
// manager, exchange numbered messages both ways at once, check that each
// side got exactly the other's messages, in order, once each and promptly,
// and log out cleanly.
//
// StanzaJS asks for hold='2' but keeps only two connections: a CM that holds
// both leaves it nothing to send on until `wait` expires, so every message
// takes `wait` seconds and the logout never completes. --max-latency bounds
// how long one message may take, which is what catches that.
//
//   node tests/e2e/stanza-chat.mjs --url http://127.0.0.1:PORT/http-bind \
//       --domain localhost [--messages 20] [--max-latency 5] [--timeout 60]
//
// Output: one "ok - ..." / "not ok - ..." line per check, then
// "N passed, N failed". Exit code 0 only when every check passed.

import { randomBytes } from 'node:crypto';
import * as XMPP from 'stanza';
import { COMMON_OPTIONS, parseCommandLine, Report, usersOf } from './lib.mjs';

const USAGE = `usage: node stanza-chat.mjs --url URL --domain DOMAIN [--messages N]
       [--user1 U --pass1 P --user2 U --pass2 P] [--max-latency SECONDS] [--timeout SECONDS]`;

function parseCli() {
    const { values, num } = parseCommandLine(USAGE, {
        ...COMMON_OPTIONS,
        messages: { type: 'string', default: '20' },
        'max-latency': { type: 'string', default: '5' },
    });
    return {
        url: values.url,
        domain: values.domain,
        messages: Math.floor(num('messages', 1)),
        maxLatencyMs: num('max-latency', 0.1) * 1000,
        timeoutMs: num('timeout', 1) * 1000,
        users: usersOf(values),
    };
}

const opts = parseCli();
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(3)}s`;
const runId = randomBytes(4).toString('hex');
const diag = [];
const report = new Report();
const check = (ok, what, why) => report.check(ok, what, why);

function finish() {
    report.summary();
    if (report.failed) {
        for (const line of diag.slice(-40)) console.log(`# ${line}`);
    }
    process.exit(report.failed ? 1 : 0);
}

const deadline = t0 + opts.timeoutMs;
const remaining = () => Math.max(0, deadline - Date.now());
setTimeout(() => {
    check(false, `finished within --timeout ${opts.timeoutMs / 1000}s`, 'cut off by the overall timeout');
    finish();
}, opts.timeoutMs).unref();

// Resolves with the first of |events| |client| emits, rejects after |ms|.
function once(client, events, ms) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${events.join('/')} within ${ms} ms`)), ms);
        for (const e of events) {
            client.once(e, (arg) => {
                clearTimeout(timer);
                resolve([e, arg]);
            });
        }
    });
}

function makeClient(user) {
    const bare = `${user.name}@${opts.domain}`;
    const client = XMPP.createClient({
        jid: bare,
        password: user.pass,
        resource: `stanza-${runId}`,
        transports: { websocket: false, bosh: opts.url },
        // Stream management over BOSH races StanzaJS's own logout: an <r/>
        // from the server after its terminate leaves an answer queued on an
        // ended transport ('disconnected' never comes), and an <a/> inside
        // the terminate reply is pushed past the end of its stream
        // (ERR_STREAM_PUSH_AFTER_EOF). Both are StanzaJS 12's own, seen with
        // either reply boshd gives the other open requests on a terminate.
        useStreamManagement: false,
    });
    const c = { name: user.name, bare, client, received: [], errors: [] };
    client.on('stream:error', (e) => c.errors.push(`stream error: ${JSON.stringify(e)}`));
    client.on('message', (m) => {
        if (m.type === 'error') {
            c.errors.push(`message error: ${JSON.stringify(m)}`);
        } else if (m.body && m.id?.includes(runId)) {
            c.received.push({ from: m.from.split('/')[0], id: m.id, body: m.body, at: Date.now() });
        }
    });
    client.on('raw:outgoing', (x) => diag.push(`${user.name} -> ${x.slice(0, 200)}`));
    client.on('raw:incoming', (x) => diag.push(`${user.name} <- ${x.slice(0, 200)}`));
    return c;
}

const clients = opts.users.map(makeClient);
const [a, b] = clients;
a.other = b;
b.other = a;
const messageId = (from, i) => `${from}-${runId}-${i}`;

async function main() {
    console.log(`# BOSH ${opts.url} domain=${opts.domain} messages=${opts.messages} run=${runId} (StanzaJS)`);
    // 1. Log in both at once.
    const logins = await Promise.allSettled(
        clients.map((c) => {
            const started = once(c.client, ['session:started', 'auth:failed', 'disconnected'], remaining());
            c.client.connect();
            return started;
        }),
    );
    let allIn = true;
    logins.forEach((r, i) => {
        const c = clients[i];
        const good = r.status === 'fulfilled' && r.value[0] === 'session:started';
        allIn =
            check(
                good,
                `${c.name} logged in (StanzaJS) as ${c.client.jid} [${elapsed()}]`,
                r.status === 'rejected' ? r.reason.message : r.value[0],
            ) && allIn;
    });
    if (!allIn) return;

    // 2. Presence, then a ping: once it is answered the presence was processed.
    const pres = await Promise.allSettled(
        clients.map((c) => {
            c.client.sendPresence();
            return c.client.ping(opts.domain);
        }),
    );
    pres.forEach((r, i) =>
        check(r.status === 'fulfilled', `${clients[i].name} sent presence (ping answered) [${elapsed()}]`, r.reason?.message),
    );
    if (pres.some((r) => r.status !== 'fulfilled')) return;

    // 3. N messages each way, at once; each must arrive within --max-latency.
    const sent = new Map();
    for (let i = 1; i <= opts.messages; i++) {
        for (const c of clients) {
            const id = messageId(c.name, i);
            sent.set(id, Date.now());
            c.client.sendMessage({ to: c.other.bare, type: 'chat', id, body: `${c.name} -> ${c.other.name} #${i} <&> é` });
        }
        await new Promise((r) => setTimeout(r, 20));
    }
    while (remaining() > 0 && clients.some((c) => c.received.length < opts.messages)) {
        await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of clients) {
        const want = Array.from({ length: opts.messages }, (_, k) => messageId(c.other.name, k + 1));
        const got = c.received.map((m) => m.id);
        check(
            JSON.stringify(got) === JSON.stringify(want),
            `${c.name} got ${opts.messages} messages from ${c.other.name}, in order, once each [${elapsed()}]`,
            `got ${got.length}: ${got.slice(0, 5).join(' ')}...`,
        );
        const bodiesOk = c.received.every((m, k) => m.body === `${c.other.name} -> ${c.name} #${k + 1} <&> é`);
        check(bodiesOk, `${c.name}'s message bodies arrived byte-exact`);
        const worst = Math.max(0, ...c.received.map((m) => m.at - (sent.get(m.id) ?? m.at)));
        check(
            worst <= opts.maxLatencyMs,
            `${c.name}'s messages each arrived within ${opts.maxLatencyMs / 1000}s (worst ${(worst / 1000).toFixed(3)}s)`,
            'a held request kept StanzaJS from sending',
        );
        check(c.errors.length === 0, `${c.name} saw no errors`, c.errors.join('; '));
    }

    // 3b. One way only, alice to bob, while bob sends nothing: no incoming
    // stanza frees alice's held request, so each send needs a connection the
    // CM answers at once. With both of StanzaJS's connections held, a message
    // waits for `wait` to expire.
    const oneWay = [];
    const firstOneWay = b.received.length;
    for (let i = 1; i <= 5 && remaining() > 0; i++) {
        const id = `${messageId(a.name, 'oneway')}-${i}`;
        const at = Date.now();
        a.client.sendMessage({ to: b.bare, type: 'chat', id, body: `one way #${i}` });
        while (remaining() > 0 && !b.received.some((m) => m.id === id)) {
            await new Promise((r) => setTimeout(r, 20));
        }
        const got = b.received.find((m) => m.id === id);
        oneWay.push(got ? got.at - at : Infinity);
        await new Promise((r) => setTimeout(r, 100));
    }
    const worstOneWay = Math.max(...oneWay);
    check(
        oneWay.length === 5 && worstOneWay <= opts.maxLatencyMs && b.received.length === firstOneWay + 5,
        `${a.name} -> ${b.name} one way: 5 messages, each within ${opts.maxLatencyMs / 1000}s ` +
            `(worst ${(worstOneWay / 1000).toFixed(3)}s)`,
        'a held request kept StanzaJS from sending',
    );

    // 4. Log out: both must complete promptly.
    const outs = await Promise.allSettled(
        clients.map((c) => {
            const done = once(c.client, ['disconnected'], Math.min(remaining(), 2 * opts.maxLatencyMs + 5000));
            c.client.disconnect();
            return done;
        }),
    );
    outs.forEach((r, i) => check(r.status === 'fulfilled', `${clients[i].name} logged out [${elapsed()}]`, r.reason?.message));
}

main()
    .catch((e) => check(false, 'the run completed', e.stack))
    .finally(finish);
