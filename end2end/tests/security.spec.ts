import { expect, Page, test } from '@playwright/test';
import { baseURL } from '../playwright.config';
import { admin, open, signIn } from './helpers';

// A shop whose name is markup (emulator.json's `hostile`): registered by the first test and
// removed by the last, so the specs after start from an empty list.
const hostile = {
  handle: 'hostile',
  name: 'Beta</title><script>window.pwned=1</script><title>"><img src=x onerror="window.pwned=2">',
};
const credentials = {
  key: 'e2ekey000000000000000000000000ac',
  password: 'shpat_e2e0000000000000000000000000acme',
  secret: 'shpss_e2e000000000000000000000000acme',
};

test.describe.configure({ mode: 'serial' });

let storeId = '';

/** Fails the test on any Content-Security-Policy violation the page reports. */
function refuseViolations(page: Page) {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

/** What the page's DOM has that storelink never writes: scripts that ran, images, handlers. */
async function foreignMarkup(page: Page) {
  return page.evaluate(() => {
    const found: string[] = [];
    if ((window as unknown as { pwned?: number }).pwned !== undefined) found.push('a script ran');
    for (const element of Array.from(document.querySelectorAll('*'))) {
      if (['IMG', 'IFRAME', 'OBJECT', 'EMBED', 'BASE'].includes(element.tagName)) found.push(element.outerHTML);
      for (const attribute of Array.from(element.attributes)) {
        if (attribute.name.startsWith('on')) found.push(`${element.tagName} ${attribute.name}`);
      }
    }
    return found;
  });
}

test('a store named with markup shows its name as text and runs nothing, on every page, hydrated', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const violations = refuseViolations(page);
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await page.getByLabel('Store URL').fill(hostile.handle);
  await page.getByLabel('API Key').fill(credentials.key);
  await page.getByLabel('API Password').fill(credentials.password);
  await page.getByLabel('Shared Secret').fill(credentials.secret);
  await page.getByRole('button', { name: 'REGISTER' }).click();
  const row = page.getByRole('row').filter({ hasText: `${hostile.handle}.myshopify.com` });
  await expect(row).toContainText('Connected');
  await expect(row.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
  // The name is there, whole, as text.
  await expect(row.getByRole('link', { name: hostile.name, exact: true })).toBeVisible();
  const href = await row.getByRole('link', { name: hostile.name, exact: true }).getAttribute('href');
  storeId = href!.split('/')[2];

  for (const path of ['/', `/stores/${storeId}`, `/stores/${storeId}/products`, `/stores/${storeId}/sync`,
    `/stores/${storeId}/shipments`, `/stores/${storeId}/disconnect`, '/audit']) {
    await open(page, path, testInfo);
    expect(await foreignMarkup(page), path).toEqual([]);
  }
  await open(page, `/stores/${storeId}`, testInfo);
  await expect(page).toHaveTitle(`${hostile.name} · storelink`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(hostile.name);
  expect(await foreignMarkup(page)).toEqual([]);
  expect(violations).toEqual([]);
});

test('a storelink page framed by another site, even another port of the same host, does not render', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  // A page of another origin (a port storelink does not answer on), with the Users page in a frame.
  const framing = `http://127.0.0.1:${Number(new URL(baseURL).port) + 7}/frame`;
  await page.route(framing, (route) =>
    route.fulfill({ contentType: 'text/html', body: `<h1>Win a prize</h1><iframe title="prize" src="${baseURL}/users"></iframe>` }));
  await page.goto(framing);
  await expect(page.getByRole('heading', { name: 'Win a prize' })).toBeVisible();
  // The browser refuses to show the answer in the frame: the frame holds its error page.
  const framed = () => page.frames().find((frame) => frame !== page.mainFrame())?.url() ?? '';
  await expect.poll(framed).toMatch(/^chrome-error:/);
  const frame = page.frameLocator('iframe[title="prize"]');
  await expect(frame.getByRole('heading', { name: 'Users' })).toHaveCount(0);
  await expect(frame.getByRole('button')).toHaveCount(0);
});

test('the administrator removes the markup-named store, so the specs after start from an empty list', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  const row = page.getByRole('row').filter({ hasText: `${hostile.handle}.myshopify.com` });
  await page.getByRole('link', { name: `Disconnect ${hostile.name}` }).click();
  await page.getByRole('button', { name: `Disconnect ${hostile.name}` }).click();
  await expect(row).toContainText('Disconnected');
  await page.getByRole('link', { name: `Remove ${hostile.name}` }).click();
  await page.getByRole('button', { name: `Remove ${hostile.name}` }).click();
  await expect(row).toHaveCount(0);
  storeId = '';
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  if (!storeId) return;
  const page = await browser.newPage();
  await signIn(page, admin, testInfo);
  const headers = { origin: new URL(page.url()).origin };
  await page.request.post('/api/stores/disconnect', { form: { store_id: storeId }, headers });
  await page.request.post('/api/stores/remove', { form: { store_id: storeId }, headers });
  await page.close();
});
