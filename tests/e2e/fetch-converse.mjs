#!/usr/bin/env node
// Fetches the prebuilt Converse.js bundle for converse-chat.mjs: the published
// npm tarball of one pinned version, checked against its pinned sha512
// integrity, with its package/dist/ extracted into
// tests/e2e/.cache/converse.js-VERSION/dist/ (git-ignored).
//
//   node tests/e2e/fetch-converse.mjs        # prints the dist directory
//
// Why not `npm install converse.js`: the package's dependencies cannot all be
// installed (one of them is not on the registry), and the prebuilt dist/
// (converse.min.js, converse.min.css, emoji.json, images, sounds, ...) needs
// none of them. `npm pack` downloads the tarball alone, through npm's
// registry configuration and cache.
//
// Idempotent: when the dist directory is there with the integrity stamp of
// the pinned version, nothing is downloaded; a tarball already in the cache
// is re-extracted only if its digest matches.
//
// To move to another version: `npm view converse.js@X dist.integrity`, then
// update CONVERSE_VERSION and CONVERSE_INTEGRITY below.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONVERSE_VERSION = '14.0.0';
export const CONVERSE_INTEGRITY =
    'sha512-LFUg030jDalV47vI/vyVPqYPZfJYXFbubq8v0cFDe2zXNeeGEk3Up0Fj/WTzT6t+6do+cAIToy73eAj7RNDj2Q==';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(HERE, '.cache');

async function integrityOf(file) {
    const hash = createHash('sha512');
    for await (const chunk of createReadStream(file)) hash.update(chunk);
    return `sha512-${hash.digest('base64')}`;
}

// Returns the path of the extracted dist/ directory, downloading and
// extracting first if needed. |log| receives one line per step taken.
export async function ensureConverse({ cacheDir = CACHE_DIR, log = () => {} } = {}) {
    const name = `converse.js-${CONVERSE_VERSION}`;
    const root = join(cacheDir, name);
    const dist = join(root, 'dist');
    const stamp = join(root, 'dist.integrity');
    if (existsSync(join(dist, 'converse.min.js')) && existsSync(stamp)) {
        if (readFileSync(stamp, 'utf8').trim() === CONVERSE_INTEGRITY) return dist;
    }
    mkdirSync(cacheDir, { recursive: true });

    const tarball = join(cacheDir, `${name}.tgz`);
    if (existsSync(tarball) && (await integrityOf(tarball)) !== CONVERSE_INTEGRITY) {
        log(`${tarball}: integrity mismatch, fetching again`);
        rmSync(tarball);
    }
    if (!existsSync(tarball)) {
        log(`npm pack converse.js@${CONVERSE_VERSION} into ${cacheDir}`);
        execFileSync('npm', ['pack', `converse.js@${CONVERSE_VERSION}`, '--pack-destination', cacheDir, '--silent'], {
            stdio: ['ignore', 'ignore', 'inherit'],
            timeout: 300_000,
        });
        const got = existsSync(tarball) ? await integrityOf(tarball) : '(no file)';
        if (got !== CONVERSE_INTEGRITY) {
            rmSync(tarball, { force: true });
            throw new Error(`converse.js@${CONVERSE_VERSION}: integrity ${got}, expected ${CONVERSE_INTEGRITY}`);
        }
    }

    // Extract into a private directory, then move dist/ into place, so a
    // half-extracted tree is never taken for a complete one.
    const tmp = join(cacheDir, `.${name}.${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
        log(`extracting package/dist of ${tarball}`);
        execFileSync('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/dist'], {
            stdio: ['ignore', 'ignore', 'inherit'],
            timeout: 120_000,
        });
        if (!existsSync(join(tmp, 'dist', 'converse.min.js'))) throw new Error(`${tarball} has no dist/converse.min.js`);
        mkdirSync(root, { recursive: true });
        rmSync(stamp, { force: true });
        rmSync(dist, { recursive: true, force: true });
        renameSync(join(tmp, 'dist'), dist);
        writeFileSync(stamp, `${CONVERSE_INTEGRITY}\n`);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
    return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
    try {
        console.log(await ensureConverse({ log: (line) => console.error(`# ${line}`) }));
    } catch (e) {
        console.error(`fetch-converse: ${e.message}`);
        process.exit(1);
    }
}
