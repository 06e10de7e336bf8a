import { expect, Page, TestInfo } from '@playwright/test';

/** The Shopify emulator the server under test talks to (started by playwright.config.ts). */
export const emulatorURL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;

export const admin = { email: 'admin@example.com', password: 'admin password 123' };
export const standard = { email: 'standard@example.com', password: 'standard password 123' };

/** Opens a page and, when JavaScript runs, waits until the WebAssembly has hydrated it. */
export async function open(page: Page, path: string, testInfo: TestInfo) {
  await page.goto(path);
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  }
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
