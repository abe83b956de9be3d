// The balancer's side of the agent's protocol: signed requests, typed answers. Tests use
// it too, so both ends sign the same way (auth.ts).
import http from 'node:http';
import { authorization } from './auth.js';
import type { AgentEvent, ListBody, ListReply, StatusReply } from './protocol.js';

export interface AgentAnswer<T> {
  status: number;
  /** The parsed answer on 200; the error object otherwise. */
  body: T | { code: string; error: string };
}

export interface AgentTarget {
  host: string;
  port: number;
  secret: Buffer | string;
  timeoutMs?: number;
}

function request<T>(target: AgentTarget, method: 'GET' | 'PUT', path: string, body = ''): Promise<AgentAnswer<T>> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.host,
        port: target.port,
        method,
        path,
        timeout: target.timeoutMs ?? 30_000,
        headers: { authorization: authorization(target.secret, { method, path, body }), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch {
            reject(new Error(`the agent answered ${res.statusCode} with no JSON: ${text.slice(0, 80)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the agent did not answer within ${target.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** PUT /list: resolves once the node converged (or its agent's bounded wait ended). */
export function putList(target: AgentTarget, list: ListBody): Promise<AgentAnswer<ListReply>> {
  return request(target, 'PUT', '/list', JSON.stringify(list));
}

export function getStatus(target: AgentTarget): Promise<AgentAnswer<StatusReply>> {
  return request(target, 'GET', '/status');
}

/** Follows GET /events; `stop()` ends it. Rejects when the agent refuses the stream. */
export function followEvents(target: AgentTarget, onEvent: (event: AgentEvent) => void): Promise<{ stop(): void; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.host, port: target.port, method: 'GET', path: '/events', headers: { authorization: authorization(target.secret, { method: 'GET', path: '/events', body: '' }) } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`the agent refused /events with ${res.statusCode}`));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          // Empty lines are the agent's heartbeat.
          if (line) onEvent(JSON.parse(line) as AgentEvent);
        }
      });
      const closed = new Promise<void>((done) => res.once('close', () => done()));
      resolve({ stop: () => req.destroy(), closed });
    });
    req.on('error', reject);
    req.end();
  });
}
