import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stack } from './support.mjs';

test('the DevStack answers the Auth health check', async () => {
  const response = await fetch(`${stack.url}/auth/v1/health`);
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.name, 'GoTrue');
});
