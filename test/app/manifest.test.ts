/**
 * Proves the Stripe App's manifest (stripe-app.json) says what Stripe's review asks: sandbox
 * installs are supported; there is a settings view and an onboarding view; every view the manifest
 * names exists in stripe-app/views and is rendered by a test with the SDK's test renderer; every
 * permission says why it is needed; and the App's API base is inside what the content security
 * policy lets it reach.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Manifest {
  sandbox_install_compatible?: boolean;
  permissions: { permission: string; purpose: string }[];
  ui_extension: {
    views: { viewport: string; component: string }[];
    content_security_policy: { 'connect-src': string[] };
  };
  constants: { API_BASE: string };
}

const manifest = JSON.parse(readFileSync('stripe-app.json', 'utf8')) as Manifest;
const VIEWS = join('stripe-app', 'views');
const viewTests = readdirSync(VIEWS)
  .filter((f) => f.endsWith('.test.tsx'))
  .map((f) => readFileSync(join(VIEWS, f), 'utf8'));

describe('stripe-app.json', () => {
  it('declares sandbox support', () => {
    expect(manifest.sandbox_install_compatible).toBe(true);
  });

  it('has a settings view and an onboarding view', () => {
    const byViewport = new Map(manifest.ui_extension.views.map((v) => [v.viewport, v.component]));
    expect(byViewport.get('settings')).toBe('AccrueSettings');
    expect(byViewport.get('onboarding')).toBe('AccrueOnboarding');
  });

  it('names only views that exist, each rendered by a view test with the SDK test renderer', () => {
    for (const { component } of manifest.ui_extension.views) {
      expect(existsSync(join(VIEWS, `${component}.tsx`)), component).toBe(true);
      const rendering = viewTests.filter(
        (t) =>
          t.includes(`from './${component}.tsx'`) &&
          t.includes("from '@stripe/ui-extension-sdk/testing'") &&
          t.includes(`<${component} `),
      );
      expect(rendering.length, `${component} has no view test`).toBeGreaterThan(0);
    }
  });

  it('says why it needs each permission, and reaches only its own API', () => {
    for (const p of manifest.permissions) expect(p.purpose.length, p.permission).toBeGreaterThan(20);
    const allowed = manifest.ui_extension.content_security_policy['connect-src'];
    expect(allowed.some((prefix) => `${manifest.constants.API_BASE}/`.startsWith(prefix))).toBe(true);
  });
});
