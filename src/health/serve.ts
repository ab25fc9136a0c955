/**
 * `ferry serve`: the health endpoints on a plain Node http server. It binds to 127.0.0.1 unless told
 * otherwise, so a database's state is never on the network by accident.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FerryError } from '../errors.js';
import { healthHandler, type HandlerOptions } from './health-handler.js';

export interface ServeOptions extends HandlerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

export async function serveHealth(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer(healthHandler(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new FerryError('USAGE', `Cannot listen on ${host}:${options.port ?? 8080}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}.`, {
          hint: 'Choose another --port (0 picks a free one).',
          cause: e,
        }),
      ),
    );
    server.listen(options.port ?? 8080, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
