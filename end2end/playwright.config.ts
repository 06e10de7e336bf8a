import { defineConfig } from '@playwright/test';

// The server under test: a fresh data directory with known users, started by serve.sh.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

const chromium = {
  executablePath: '/usr/bin/chromium',
  // Root on a machine without network: no sandbox, and nothing that phones home.
  args: [
    '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  ],
};

/** The emulator on `port + 1`, and storelink as `serve` starts it, answering on `port`. */
export function webServers(port: number, serve: string) {
  const emulatorPort = port + 1;
  return [
    {
      // The Shopify the specs register stores from (shops in emulator.json).
      command: `${process.env.STORELINK_BIN ?? '../target/debug/storelink'} emulator --addr 127.0.0.1:${emulatorPort} --config emulator.json`,
      url: `http://127.0.0.1:${emulatorPort}/_emulator/stats`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: serve,
      url: `http://127.0.0.1:${port}/login`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        E2E_PORT: String(port),
        STORELINK_SHOPIFY_BASE_URL: `http://127.0.0.1:${emulatorPort}`,
        STORELINK_WOOCOMMERCE_BASE_URL: `http://127.0.0.1:${emulatorPort}`,
        STORELINK_BIGCOMMERCE_BASE_URL: `http://127.0.0.1:${emulatorPort}`,
        // Short, so the "too slow" spec waits seconds rather than the default 15.
        STORELINK_SHOPIFY_TIMEOUT_SECS: '3',
      },
      stdout: 'pipe' as const,
    },
  ];
}

export default defineConfig({
  testDir: './tests',
  // One server, one database: run the specs one after another so they never race.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  // A hydration wait alone may take 30 s on a busy machine (helpers.ts): room for it and the test.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: { baseURL, launchOptions: chromium, trace: 'retain-on-failure' },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    // The pages that must work before (or without) the WebAssembly: sign-in and the store list.
    { name: 'no-javascript', use: { javaScriptEnabled: false }, grep: /@no-js/ },
  ],
  webServer: webServers(port, 'sh ./serve.sh'),
});
