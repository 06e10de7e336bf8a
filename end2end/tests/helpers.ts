import { Browser, expect, Page, TestInfo } from '@playwright/test';

/** The Shopify emulator the server under test talks to (started by playwright.config.ts). */
export const emulatorURL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;

export const admin = { email: 'admin@example.com', password: 'admin password 123' };
export const standard = { email: 'standard@example.com', password: 'standard password 123' };

/** Opens a page and, when JavaScript runs, waits until the WebAssembly has hydrated it. */
export async function open(page: Page, path: string, testInfo: TestInfo) {
  await page.goto(path);
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await hydrated(page);
  }
}

/** Waits until the WebAssembly has hydrated the page; a debug build on a busy machine can take a while. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 30_000 });
}

export async function signIn(page: Page, who: { email: string; password: string }, testInfo: TestInfo) {
  await open(page, '/login', testInfo);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
}

/** An email unique to this test and project, so runs never collide in the shared database. */
export function uniqueEmail(prefix: string, testInfo: TestInfo) {
  return `${prefix}-${testInfo.project.name}-${Date.now()}@example.com`;
}

/** Disconnects and removes the store of `handle` if a spec that failed left it behind, so the
 * specs after start from an empty list. */
export async function removeStoreIfLeft(browser: Browser, handle: string, testInfo: TestInfo) {
  const page = await browser.newPage();
  await signIn(page, admin, testInfo);
  const listed = await (await page.request.get('/api/stores/list')).json();
  const store = listed.stores.find((s: { shop_domain: string }) => s.shop_domain === `${handle}.myshopify.com`);
  if (store) {
    const headers = { origin: new URL(page.url()).origin };
    await page.request.post('/api/stores/disconnect', { form: { store_id: String(store.id) }, headers });
    await page.request.post('/api/stores/remove', { form: { store_id: String(store.id) }, headers });
  }
  await page.close();
}
