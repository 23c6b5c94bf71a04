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
// number; exits 0 after printing |usage| for --help. Returns the values and
// num(name, min), which reads a numeric option the same way.
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
    const num = (name, min) => {
        const n = Number(values[name]);
        if (!Number.isFinite(n) || n < min) {
            console.error(`--${name} must be a number >= ${min}\n${usage}`);
            process.exit(2);
        }
        return n;
    };
    return { values, num };
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
