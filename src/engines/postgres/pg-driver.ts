import { createRequire } from 'node:module';
import type pgModule from 'pg';

/**
 * The `pg` driver, loaded without its Cloudflare probe.
 *
 * When it loads, pg asks whether it runs in a Cloudflare Worker: if `navigator` is undefined (as on
 * Node.js 20; Node.js 21 and later define it) it builds a fetch `Response`, which makes Node load
 * its whole HTTP client (undici), about 15 ms: a tenth of a short command such as `ferry current`.
 * A `navigator` with Node's own user agent, present only while pg loads, answers the probe the way
 * newer Node.js versions do.
 */
function loadPg(): typeof pgModule {
  const load = (): typeof pgModule => createRequire(import.meta.url)('pg') as typeof pgModule;
  if ('navigator' in globalThis) return load();
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
  });
  try {
    return load();
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

const pg = loadPg();
export default pg;
