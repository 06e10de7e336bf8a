import { defineConfig } from '@playwright/test';

import base, { webServers } from './playwright.config';

// Two servers on one PostgreSQL database behind a load balancer (serve-several.sh): requests,
// pages and progress streams go to either server. The specs read E2E_PORT for the emulator.
const port = 3200;
process.env.E2E_PORT = String(port);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  ...base,
  use: { ...base.use, baseURL },
  // The administrator's full flow, a standard user's live view of what the administrator does,
  // and a shipment written back once by whichever server's sender claims it.
  grep: [
    /an administrator registers a Shopify store, then disconnects and removes it/,
    /a standard user's open Stores page shows/,
    /a standard user marks an order shipped/,
  ],
  projects: [{ name: 'several servers', use: { javaScriptEnabled: true } }],
  webServer: webServers(port, 'sh ./serve-several.sh'),
});
