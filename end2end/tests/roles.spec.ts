import { expect, test } from '@playwright/test';
import { admin, open, signIn, standard, uniqueEmail } from './helpers';

test('a standard user sees the store list without admin controls and with the explanatory line @no-js', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await expect(page.getByText('Only administrators can add, disconnect or remove stores; everyone records shipments.')).toBeVisible();
  await expect(page.getByText('No stores are connected yet. Ask an administrator to add one.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'ADD STORE' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
});

test('a standard user who opens the Users URL is refused @no-js', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await open(page, '/users', testInfo);
  await expect(page.getByRole('status').filter({ hasText: 'Only administrators can manage users.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create user' })).toHaveCount(0);
});

test('an administrator creates a standard user who can then sign in', async ({ page, browser }, testInfo) => {
  const email = uniqueEmail('packer', testInfo);
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  // An email already in use: the server's message appears beside the field.
  await page.getByLabel('Email').fill(standard.email.toUpperCase());
  await page.getByLabel('Role').selectOption('standard');
  await page.getByLabel('Initial password').fill('a good initial password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('A user with this email already exists.')).toBeVisible();
  await expect(page.getByRole('cell', { name: standard.email, exact: true })).toHaveCount(1);

  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('cell', { name: email, exact: true })).toBeVisible();

  const other = await browser.newPage();
  await signIn(other, { email, password: 'a good initial password' }, testInfo);
  await expect(other.getByText('Only administrators can add, disconnect or remove stores; everyone records shipments.')).toBeVisible();
  await other.close();
});

test('the last administrator cannot step down, and says why', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  const row = page.getByRole('row').filter({ hasText: admin.email });
  await row.getByRole('button', { name: `Deactivate ${admin.email}` }).click();
  await expect(page.getByRole('alert')).toContainText('There must always be at least one active administrator.');
  await expect(row.getByRole('cell', { name: 'Active', exact: true })).toBeVisible();
});

test('a user form the server cannot read says so above its button and creates nobody @no-js', async ({ page }, testInfo) => {
  const email = uniqueEmail('stale', testInfo);
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Initial password').fill('a good initial password');
  // A page left open across an upgrade can post a form the server no longer reads.
  await page.getByLabel('Initial password').evaluate((input) => input.removeAttribute('name'));
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('alert')).toHaveText('The form could not be read. Reload the page and try again.');
  await open(page, '/users', testInfo);
  await expect(page.getByRole('cell', { name: standard.email, exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: email, exact: true })).toHaveCount(0);
});
