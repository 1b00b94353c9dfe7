// Shared set-up for the conformance suites: which DevStack to talk to, and
// supabase-js clients configured the way an app on Node 20 configures them.
//
// The test command starts one DevStack and passes its address in SUPABASE_URL,
// SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY. Without them (running a
// file by hand), this module starts a throwaway DevStack from the Release build
// and stops it when the process exits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

async function startDevStack() {
  const dll = path.join(repoRoot, 'src', 'AutoCrm.DevStack', 'bin', 'Release', 'net10.0', 'AutoCrm.DevStack.dll');
  const dataDir = path.join(repoRoot, '.autocrm', `conformance-${randomUUID()}`);
  const child = spawn('dotnet', [dll, '--port', '0', '--data-dir', dataDir, '--reset', '--no-auth-rate-limits'], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGTERM'));
  const values = {};
  const lines = createInterface({ input: child.stdout });
  const timeout = setTimeout(() => child.kill('SIGTERM'), 120_000);
  for await (const line of lines) {
    const match = /^(API URL|DB URL|anon key|service_role key): (.+)$/.exec(line);
    if (match) values[match[1]] = match[2];
    if (Object.keys(values).length === 4) break;
  }
  clearTimeout(timeout);
  if (Object.keys(values).length !== 4) throw new Error('DevStack did not print its URL and keys');
  // Keep draining its output, but let node exit when the tests are done; the exit hook stops it.
  lines.close();
  child.stdout.resume();
  child.stdout.unref?.();
  child.unref();
  return { url: values['API URL'], anonKey: values['anon key'], serviceRoleKey: values['service_role key'], dbUrl: values['DB URL'] };
}

export const stack = process.env.SUPABASE_URL
  ? {
      url: process.env.SUPABASE_URL,
      anonKey: process.env.SUPABASE_ANON_KEY,
      serviceRoleKey: process.env.SUPABASE_SERVICE_ROLE_KEY,
      dbUrl: process.env.SUPABASE_DB_URL,
    }
  : await startDevStack();

/** The demo accounts of supabase/seed.sql (demo-only credentials). */
export const demo = {
  password: 'autocrm-demo',
  admin: 'admin@autocrm.demo',
  alice: 'agent.alice@autocrm.demo',
  bob: 'agent.bob@autocrm.demo',
  carol: 'carol@customer.demo',
  dave: 'dave@customer.demo',
  erin: 'erin@customer.demo',
};

/** A client as an app creates it: anon key, no persisted session, ws as the realtime transport on Node 20. */
export function anonClient(options = {}) {
  return createClient(stack.url, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket, ...(options.realtime ?? {}) },
    ...options,
  });
}

/** A back-office client with the service_role key. */
export function serviceClient() {
  return createClient(stack.url, stack.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket },
  });
}

/** A signed-in client for an existing account. */
export async function signedInClient(email, password = demo.password, options = {}) {
  const client = anonClient(options);
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error) throw error;
  return client;
}

/** A unique e-mail address for a test's own account. */
export function uniqueEmail(prefix = 'user') {
  return `${prefix}-${randomUUID().slice(0, 8)}@conformance.test`;
}

export { once };
