import type { FerryConfig } from './types.js';

/**
 * Returns its argument unchanged. It exists so a `ferry.config.ts` gets type checking and editor
 * completion (`export default defineConfig({...})`); validation still happens when ferry loads it.
 */
export function defineConfig(config: FerryConfig): FerryConfig {
  return config;
}
