// What the e2e chat clients share: the command line and the ok/not ok report.
import { parseArgs } from 'node:util';

// The options both chat clients take: where, who, and how long at most.
export const COMMON_OPTIONS = {
    url: { type: 'string' },
    domain: { type: 'string', default: 'localhost' },
    user1: { type: 'string', default: 'alice' },
    pass1: { type: 'string', default: 'alice-pw' },
    user2: { type: 'string', default: 'bob' },
    pass2: { type: 'string', default: 'bob-pw' },
    timeout: { type: 'string', default: '60' },
};

// The two accounts named by COMMON_OPTIONS.
export function usersOf(values) {
    return [
        { name: values.user1, pass: values.pass1 },
        { name: values.user2, pass: values.pass2 },
    ];
}

// Parses process.argv against |options| (node:util parseArgs, strict) plus
// --help. Exits 2 with |usage| on an unknown option, a missing --url or a bad
// number or URL; exits 0 after printing |usage| for --help. Returns the
// values, the parsed --url and num(name, min), which reads a numeric option
// the same way.
export function parseCommandLine(usage, options) {
    let values;
    try {
        ({ values } = parseArgs({
            options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
            strict: true,
        }));
    } catch (e) {
        console.error(`${e.message}\n${usage}`);
        process.exit(2);
    }
    if (values.help) {
        console.log(usage);
        process.exit(0);
    }
    if (!values.url) {
        console.error(`--url is required\n${usage}`);
        process.exit(2);
    }
    let url;
    try {
        url = new URL(values.url);
    } catch {
        console.error(`--url is not a valid URL: ${values.url}`);
        process.exit(2);
    }
    const num = (name, min) => {
        const n = Number(values[name]);
        if (!Number.isFinite(n) || n < min) {
            console.error(`--${name} must be a number >= ${min}\n${usage}`);
            process.exit(2);
        }
        return n;
    };
    return { values, url, num };
}

// One "ok - ..." / "not ok - ..." line per check (details after a failure,
// as "#   " lines), then "N passed, N failed".
export class Report {
    passed = 0;
    failed = 0;

    check(ok, description, details) {
        if (ok) {
            this.passed++;
            console.log(`ok - ${description}`);
        } else {
            this.failed++;
            console.log(`not ok - ${description}`);
            if (details) for (const line of String(details).split('\n')) console.log(`#   ${line}`);
        }
        return ok;
    }

    summary() {
        console.log(`${this.passed} passed, ${this.failed} failed`);
    }
}

// The body of message i of n from |from| to |to| in run |runId|. It exercises
// XML escaping and UTF-8 on the way through the CM.
export const messageBody = (runId, from, to, i, n) =>
    `${i}/${n} from ${from} to ${to} run=${runId} <&>"' é✓`;

// Checks |received| (in arrival order, each {body, id}) against messages 1..n
// whose bodies are bodyOf(i) (and ids idOf(i), when given): each exactly
// once, in order, intact. Returns {ok, count: "k/n", problems, order}.
export function checkSequence(received, n, bodyOf, idOf) {
    const problems = [];
    const seen = new Map(); // index -> count
    const order = [];
    for (const m of received) {
        const match = /^(\d+)\//.exec(m.body);
        const idx = match ? Number(match[1]) : NaN;
        if (!match || idx < 1 || idx > n || m.body !== bodyOf(idx)) {
            problems.push(`unexpected body: ${JSON.stringify(m.body)}`);
            continue;
        }
        if (idOf && m.id !== idOf(idx)) problems.push(`message ${idx} has id ${JSON.stringify(m.id)}`);
        seen.set(idx, (seen.get(idx) ?? 0) + 1);
        order.push(idx);
    }
    const missing = [];
    const dups = [];
    for (let i = 1; i <= n; i++) {
        const c = seen.get(i) ?? 0;
        if (c === 0) missing.push(i);
        if (c > 1) dups.push(`${i}x${c}`);
    }
    const outOfOrder = [];
    for (let k = 1; k < order.length; k++) {
        if (order[k] <= order[k - 1]) outOfOrder.push(`${order[k - 1]} before ${order[k]}`);
    }
    if (missing.length) problems.push(`missing: ${summarize(missing)}`);
    if (dups.length) problems.push(`duplicates: ${dups.slice(0, 20).join(', ')}`);
    if (outOfOrder.length) problems.push(`out of order: ${outOfOrder.slice(0, 10).join('; ')}`);
    return { ok: problems.length === 0, count: `${seen.size}/${n}`, problems, order };
}

// Compresses [1,2,3,7,9,10] into "1-3,7,9-10".
export function summarize(nums) {
    const parts = [];
    for (let i = 0; i < nums.length; ) {
        let j = i;
        while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
        parts.push(i === j ? `${nums[i]}` : `${nums[i]}-${nums[j]}`);
        i = j + 1;
    }
    return parts.join(',');
}
